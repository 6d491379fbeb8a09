"""Pull, push and cleanup: the domain logic between the Exact client and the store."""
