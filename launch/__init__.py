"""The top: the one stack builder (stack: knowledge cache, database, model, processes on ports, the production
shape) and `make run` / `make deploy-local` (launcher). May import every package below; nothing imports it but
the tests, the benchmark and the evaluation."""
