"""The Rasa adapters: the Rasa server with FirstStop's fixes (rasa_server), the REST input channel (channel), the
tracker store on the member database (tracker_store) and the action server entry point (action_server).

May import firststop (settings, visitor helpers), members, knowledge, handoff and actions; nothing above
(launch, console, worker)."""
