"""What the tests share besides fixtures (those are in tests/conftest.py), imported as
`from tests.helpers.<module> import ...` by the tests and the benches alike."""
