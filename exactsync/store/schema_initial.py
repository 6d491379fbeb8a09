"""The store's first schema (migration 001), as shipped: later changes are migrations of their own,
so this text is never edited."""

INITIAL_SCHEMA = """
CREATE TABLE state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('info', 'warning', 'error')),
    tbl TEXT NOT NULL,
    record TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT ''
);
CREATE INDEX log_at ON log (at);

-- exact_id is NULL for rows created locally: cleanup removes those (R5).
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    exact_id TEXT UNIQUE,
    code TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    address_line1 TEXT NOT NULL DEFAULT '',
    address_line2 TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT NOT NULL DEFAULT '',
    exact_timestamp INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX customers_code ON customers (code);

-- exact_address_id is set on the work address derived from the customer's
-- default address in Exact; pull keeps that one in step and never touches the others.
CREATE TABLE work_addresses (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    street TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    exact_address_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX work_addresses_customer ON work_addresses (customer_id);

CREATE TABLE item_groups (
    id INTEGER PRIMARY KEY,
    exact_id TEXT UNIQUE,
    code TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    exact_id TEXT UNIQUE,
    code TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    item_group_exact_id TEXT,
    item_group_code TEXT NOT NULL DEFAULT '',
    item_group_description TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    inactive_reason TEXT NOT NULL DEFAULT '',
    exact_timestamp INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX items_code ON items (code);

-- Work orders keep their customer and item codes as text, so that a work
-- order whose customer or item was cleaned up keeps its data (R5, R12).
CREATE TABLE work_orders (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    customer_id INTEGER,
    customer_code TEXT NOT NULL DEFAULT '',
    work_address_id INTEGER,
    description TEXT NOT NULL DEFAULT '',
    customer_reference TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'planned', 'completed', 'archived', 'sent', 'failed')),
    planned_employee TEXT NOT NULL DEFAULT '',
    planned_date TEXT NOT NULL DEFAULT '',
    planned_time TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    completed_at TEXT,
    archived_at TEXT,
    exact_invoice_id TEXT
);
CREATE INDEX work_orders_status ON work_orders (status);

CREATE TABLE time_bookings (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    employee TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('work', 'travel')),
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    booked_at TEXT NOT NULL
);
CREATE TABLE materials (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    item_code TEXT NOT NULL,
    item_exact_id TEXT,
    description TEXT NOT NULL DEFAULT '',
    quantity TEXT NOT NULL,
    booked_at TEXT NOT NULL
);
CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    name TEXT NOT NULL,
    filled_at TEXT NOT NULL
);
CREATE TABLE form_answers (
    id INTEGER PRIMARY KEY,
    form_id INTEGER NOT NULL REFERENCES forms (id),
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);

-- Per Exact entity: the highest Timestamp stored, committed with its rows.
CREATE TABLE sync_checkpoints (
    entity TEXT PRIMARY KEY,
    timestamp INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row per step of sending a work order (invoice, each document and
-- attachment), written before and after each call, so that a crash between
-- the two is reconciled against Exact instead of being posted again.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    work_order_id INTEGER NOT NULL REFERENCES work_orders (id),
    step TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'in_flight', 'done', 'failed')),
    exact_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (work_order_id, step)
);
"""
