"""The bottom layer: settings (where FirstStop's configuration is read), visitor helpers shared by the REST channel
and the console (client keys, rate limits, conversation ids), the scripted visit and the /proc reader the tests,
the benchmark and the evaluation use. Imports nothing of the project."""
