"""`make bench`: FirstStop and a stock `rasa init` bot under the same bounded load, side by side."""
