"""Developer tooling: the stub generator, the suite supervisor behind `make run`, and the tests' launcher."""
