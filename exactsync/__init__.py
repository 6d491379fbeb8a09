"""exactsync: Exact Online leads for customers and items; work orders flow back as draft invoices."""

__version__ = "0.1.0"
