"""The sandbox's administration (one division): tables in memory, a seeded
generator, mutations that bump the rowversion, and sync reads.

Rows are dicts with Exact's field names and Python values; dates are naive
Amsterdam wall-clock datetimes, as Exact keeps them. Every insert or update
takes the next value of the division's rowversion counter (`Timestamp`) and
appends (Timestamp, ID) to the table's change log. A sync read bisects that
log and skips entries a later change made stale, so a page never copies the
table and a row changed mid-read shows up again further on, as it does in Exact.
"""

from __future__ import annotations

import bisect
import random
from datetime import datetime, timedelta
from decimal import Decimal

from exactsync.sandbox.schema import DELETED_TYPE
from exactsync.timeutil import AMSTERDAM

FIRST_TIMESTAMP = 4_300_001_000       # large, so a client comparing Int64 strings as text goes wrong
MOVED_TIMESTAMP = 10_000              # a division move restarts the counter far lower
MAIN_ADDRESS_FIELDS = ("AddressLine1", "AddressLine2", "AddressLine3", "Postcode", "City", "Country")
SYNCED_TABLES = ("accounts", "addresses", "items", "invoices")
ROW_KEYS = {"invoices": "InvoiceID"}  # the tables whose key is not named ID

TRADES = ["Bakkerij", "Installatiebedrijf", "Loodgietersbedrijf", "Schildersbedrijf", "Garage", "Café",
          "Boulangerie", "Brasserie", "Elektro", "Dakwerken", "Hoveniersbedrijf", "Crèmerie", "Zorgcentrum"]
SURNAMES = ["de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Jong", "Mulder",
            "Peeters", "Janssens", "Maes", "Jacobs", "Willems", "Claes", "Goossens", "Wouters", "Dubois",
            "Lambert", "Dupont", "Müller", "Hérault", "Çelik", "Bošković", "O'Neill", "d'Hondt", "Van Damme"]
FORMS = ["", " B.V.", " BV", " & Zn.", " VOF", " BVBA", " SRL", " NV"]
STREETS = ["Kerkstraat", "Dorpsstraat", "Stationsweg", "Rue de l'Église", "Grote Markt", "Hoogstraat",
           "Kapelstraat", "Molenweg", "Brouwersgracht", "Chaussée de Namur", "Sint-Jacobsstraat"]
NL_CITIES = ["Amsterdam", "Rotterdam", "'s-Hertogenbosch", "Den Haag", "Utrecht", "Eindhoven", "Groningen",
             "Zwolle", "Sint-Oedenrode", "Ee"]
BE_CITIES = ["Brussel", "Antwerpen", "Gent", "Liège", "Namur", "Brugge", "Leuven", "Mechelen", "Mons", "Genk"]

ITEM_GROUPS = [("701", "Arbeid"), ("702", "Materialen"), ("703", "Onderdelen"),
               ("KLEIN", "Klein materiaal"), ("klein", "klein Materiaal"), ("800", "Diensten")]
JOURNALS = [("70", "Verkoopboek", 20), ("71", "Verkoopboek projecten", 20), ("60", "Inkoopboek", 22),
            ("50", "Bank", 12), ("30", "Kas", 10), ("90", "Memoriaal", 90)]
# (ID, Description, TypeCategory, DocumentIsCreatable), each with its evidence:
# - 10 (sales invoice) and 20 (purchase invoice) are documented (EXDOC); a POST of type 10 was recorded
#   (NG documents.test.json, TypeCategory "Customers"); descriptions come in the user's language (section 9);
# - 183 "General attachment" is only named in a code comment of a public integration (section 10): its
#   description is that comment's, its category unknown;
# - INVENTED_TYPE is sandbox data, no claim about Exact (its description says so): a type that exists but
#   cannot be created, so that the harness can show check-settings refusing one.
INVENTED_TYPE = 9001
DOCUMENT_TYPES = [(10, "Verkoopfactuur", 1, True), (20, "Inkoopfactuur", 2, True),
                  (183, "General attachment", None, True),
                  (INVENTED_TYPE, "Sandbox: verzonnen soort, niet aan te maken", None, False)]
# Exact numbers processed invoices from a year-prefixed series, e.g. 24700001 (NG attach-file-invoice.test.json,
# "Invoice: 24700001"); the series itself is set per administration, the sandbox starts there.
FIRST_INVOICE_NUMBER = 24700001
PROCESSED = 50  # SalesInvoices.Status: 20 open (a new draft), 50 processed (PQ-SalesInvoice, EXDOC)
ODD_ITEM_CODES = ["M", "12/34", "O'Brien-1", "Kabel 3×2,5", "  SPATIE", "trailing  ", "ÉCLAIR"]
# (every n-th customer, Type, Main): postal, delivery and a second visit address, so a reader
# has to pick the main visit address itself
OTHER_ADDRESSES = ((7, 4, True), (11, 2, True), (13, 1, False))
UNITS = [("stuk", "Stuk"), ("uur", "Uur"), ("m", "Meter"), ("kg", "Kilogram")]


def local_now() -> datetime:
    now = datetime.now(AMSTERDAM).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class FastRandom(random.Random):
    """Seeded like random.Random, with randint and choice a few times cheaper (start-up draws a
    million of them); the values differ from random.Random's, the determinism does not."""

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]


def guid4(bits: int) -> str:
    """What str(uuid.UUID(int=bits, version=4)) gives, at a third of the cost: start-up makes 200,000."""
    bits = (bits & ~(0xc000 << 48) | 0x8000 << 48) & ~(0xf000 << 64) | 4 << 76
    digits = f"{bits:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def pad_code(code: str) -> str:
    return str(code).rjust(18)


def pad_country(country: str) -> str:
    return str(country).ljust(3)


def pad_unit(unit: str | None) -> str | None:
    """An item's Unit comes padded with spaces to 8 characters: "pc      " (NG)."""
    return None if unit is None else unit.strip().ljust(8)


class UnknownRecord(KeyError):
    pass


class Administration:
    """One division's data. Callers hold the sandbox lock around every call."""

    def __init__(self, division: int, seed: int = 1, customers: int = 300, items: int = 120):
        self.division = division
        self.rng = FastRandom(seed)
        # details added later draw from their own generator, so the main data stays what it was per seed
        self.detail_rng = FastRandom(seed + 7919)
        self.today = local_now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.move_date: datetime | None = None
        self.next_timestamp = FIRST_TIMESTAMP
        self.accounts: dict[str, dict] = {}
        self.addresses: dict[str, dict] = {}
        self.items: dict[str, dict] = {}
        self.item_groups: dict[str, dict] = {}
        self.journals: dict[str, dict] = {}
        self.document_types: dict[int, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}
        self.attachments: dict[str, dict] = {}
        self.deleted: dict[str, dict] = {}
        self.main_address_ids: dict[str, str] = {}
        self.log_timestamps = {name: [] for name in (*SYNCED_TABLES, "deleted")}
        self.log_ids = {name: [] for name in (*SYNCED_TABLES, "deleted")}
        self.order_number = 1
        self.invoice_number = FIRST_INVOICE_NUMBER
        self._seed_fixed_tables()
        for number in range(1, customers + 1):
            self._generate_customer(number)
        for number in range(1, items + 1):
            self._generate_item(number)

    # -- generation ------------------------------------------------------------------------------

    def new_guid(self) -> str:
        return guid4(self.rng.getrandbits(128))

    def _past(self, max_days: int) -> datetime:
        return self.today - timedelta(days=self.rng.randint(1, max_days), seconds=self.rng.randint(0, 86399))

    def _seed_fixed_tables(self):
        created = self.today - timedelta(days=900)
        for code, description in ITEM_GROUPS:
            guid = self.new_guid()
            self.item_groups[guid] = {"ID": guid, "Code": code, "Description": description,
                                      "IsDefault": code == "701", "Created": created, "Modified": created,
                                      "Division": self.division}
        for code, description, kind in JOURNALS:
            guid = self.new_guid()
            self.journals[guid] = {"ID": guid, "Code": code, "Description": description, "Type": kind,
                                   "Division": self.division}
        for code, description, category, creatable in DOCUMENT_TYPES:
            self.document_types[code] = {
                "ID": code, "Description": description, "TypeCategory": category, "DocumentIsCreatable": creatable,
                "DocumentIsUpdatable": creatable, "DocumentIsDeletable": creatable, "DocumentIsViewable": True,
                "Created": created, "Modified": created}

    def _generate_customer(self, number: int):
        rng = self.rng
        belgian = number % 4 == 0
        city = rng.choice(BE_CITIES if belgian else NL_CITIES)
        postcode = f"{rng.randint(1000, 9999)}" if belgian else f"{rng.randint(1000, 9999)} {_letters(rng)}"
        ended = number % 41 == 0
        supplier = number % 29 == 0
        fields = {
            "Code": str(number),
            "Name": f"{rng.choice(TRADES)} {rng.choice(SURNAMES)}{rng.choice(FORMS)}",
            "AddressLine1": f"{rng.choice(STREETS)} {rng.randint(1, 250)}",
            "Postcode": postcode, "City": city, "Country": "BE" if belgian else "NL",
            "Email": f"info{number}@example.{'be' if belgian else 'nl'}",
            "Phone": f"+3{'2' if belgian else '1'} {rng.randint(10, 99)} {rng.randint(1000000, 9999999)}",
            "Status": "P" if number % 23 == 0 else ("A" if supplier else "C"),
            "Blocked": number % 37 == 0,
            "IsSales": not supplier, "IsSupplier": supplier, "IsPurchase": supplier,
            "EndDate": self._past(200).replace(hour=0, minute=0, second=0, microsecond=0) if ended else None,
        }
        if number % 3 == 0:
            digits = self.detail_rng.randint(10**8, 10**9 - 1)
            fields["VATNumber"] = f"BE0{digits}" if belgian else f"NL{digits}B01"
        created = self._past(2000)
        guid = self.add_customer(created=created, **fields)
        self._generate_other_addresses(number, guid, created)

    def _generate_other_addresses(self, number: int, account_guid: str, created: datetime):
        rng, account = self.detail_rng, self.accounts[account_guid]
        for every, kind, main in OTHER_ADDRESSES:
            if number % every:
                continue
            guid = guid4(rng.getrandbits(128))
            address = {"ID": guid, "Account": account_guid, "AccountName": account["Name"], "Type": kind, "Main": main,
                       "AddressLine1": f"{rng.choice(STREETS)} {rng.randint(1, 250)}", "AddressLine2": None,
                       "AddressLine3": None, "Postcode": account["Postcode"], "City": account["City"],
                       "Country": account["Country"], "Warehouse": None, "Created": created, "Modified": created,
                       "Division": self.division}
            self.addresses[guid] = address
            self._touch("addresses", address)

    def _generate_item(self, number: int):
        rng = self.rng
        group = list(self.item_groups.values())[number % len(ITEM_GROUPS)]
        odd = number - 1 < len(ODD_ITEM_CODES) and ODD_ITEM_CODES[number - 1]
        unit, unit_description = rng.choice(UNITS)
        price = Decimal(rng.randint(100, 50000)) / 100
        self.add_item(
            created=self._past(1500),
            Code=odd or f"ART-{number:05d}",
            Description=f"{group['Description'].capitalize()} {rng.choice(['type', 'model', 'set'])} {number}",
            ItemGroup=group["ID"],
            IsSalesItem=number % 13 != 0,
            EndDate=self._past(300).replace(hour=0, minute=0, second=0, microsecond=0) if number % 17 == 0 else None,
            Unit=unit, UnitDescription=unit_description,
            StandardSalesPrice=price, CostPriceStandard=(price * Decimal("0.6")).quantize(Decimal("0.01")),
        )

    # -- rowversion --------------------------------------------------------------------------------

    def _touch(self, table: str, row: dict, modified: datetime | None = None):
        timestamp = self.next_timestamp
        self.next_timestamp += 1
        row["Timestamp"] = timestamp
        if modified is not None:
            row["Modified"] = modified
        self.log_timestamps[table].append(timestamp)
        self.log_ids[table].append(row[ROW_KEYS.get(table, "ID")])

    def _record_deletion(self, table: str, guid: str):
        entry_id = self.new_guid()
        entry = {"ID": entry_id, "EntityKey": guid, "EntityType": DELETED_TYPE[table], "DeletedDate": local_now(),
                 "DeletedBy": None, "Division": self.division}
        self.deleted[entry_id] = entry
        self._touch("deleted", entry)

    def record_write(self, table: str, row: dict):
        """A row written through the API: a synced table shows it in its sync endpoint again."""
        if table in SYNCED_TABLES:
            self._touch(table, row, row.get("Modified"))

    def record_deletion(self, table: str, guid: str):
        """A row deleted through the API: sync/Deleted lists it when Exact logs that entity type."""
        if table in DELETED_TYPE:
            self._record_deletion(table, guid)

    def move_division(self):
        """A move to another database: every rowversion is renumbered from a low base."""
        self.move_date = local_now()
        self.next_timestamp = MOVED_TIMESTAMP
        for table in (*SYNCED_TABLES, "deleted"):
            rows = sorted(getattr(self, table).values(), key=lambda r: r["Timestamp"])
            self.log_timestamps[table], self.log_ids[table] = [], []
            for row in rows:
                self._touch(table, row)

    def changed_since(self, table: str, floor: int, after: int, limit: int, equals: dict):
        """Up to `limit` current rows with Timestamp > max(floor, after), in Timestamp order."""
        timestamps, ids, rows = self.log_timestamps[table], self.log_ids[table], getattr(self, table)
        position = bisect.bisect_right(timestamps, max(floor, after))
        found = []
        while position < len(timestamps) and len(found) < limit:
            row = rows.get(ids[position])
            if row is not None and row["Timestamp"] == timestamps[position] and _matches(row, equals):
                found.append(row)
            position += 1
        more = position < len(timestamps) and self._any_current(table, position, equals)
        return found, more

    def _any_current(self, table: str, position: int, equals: dict) -> bool:
        timestamps, ids, rows = self.log_timestamps[table], self.log_ids[table], getattr(self, table)
        for index in range(position, len(timestamps)):
            row = rows.get(ids[index])
            if row is not None and row["Timestamp"] == timestamps[index] and _matches(row, equals):
                return True
        return False

    # -- accounts and addresses --------------------------------------------------------------------

    def next_account_code(self) -> str:
        return str(max((int(c) for a in self.accounts.values() if (c := a["Code"].strip()).isdigit()), default=0) + 1)

    def add_customer(self, created: datetime | None = None, **fields) -> str:
        created = created or local_now()
        guid = self.new_guid()
        account = {
            "ID": guid, "Code": None, "Name": "Nieuwe klant", "SearchCode": None,
            "AddressLine1": None, "AddressLine2": None, "AddressLine3": None, "Postcode": None, "City": None,
            "Country": "NL", "Email": None, "Phone": None, "VATNumber": None, "Status": "C", "Blocked": False,
            "IsSales": True, "IsSupplier": False, "IsPurchase": False,
            "StartDate": created.replace(hour=0, minute=0, second=0, microsecond=0), "EndDate": None,
            "Type": "A", "Created": created, "Modified": created, "Division": self.division,
        }
        _check_fields(account, fields, "account")
        account.update(fields)
        account["Code"] = pad_code(account["Code"] or self.next_account_code())
        account["Country"] = pad_country(account["Country"])
        self.accounts[guid] = account
        self._touch("accounts", account)
        address_guid = self.new_guid()
        address = {"ID": address_guid, "Account": guid, "AccountName": account["Name"], "Type": 1, "Main": True,
                   "Warehouse": None, "Created": created, "Modified": created, "Division": self.division}
        address.update({name: account[name] for name in MAIN_ADDRESS_FIELDS})
        self.addresses[address_guid] = address
        self.main_address_ids[guid] = address_guid
        self._touch("addresses", address)
        return guid

    def update_account(self, guid: str, **fields):
        account = self._get("accounts", guid)
        _check_fields(account, fields, "account")
        account.update(fields)
        account["Code"] = pad_code(account["Code"].strip())
        account["Country"] = pad_country(account["Country"].strip())
        self._touch("accounts", account, local_now())
        moved = {k: account[k] for k in MAIN_ADDRESS_FIELDS if k in fields}
        main = self.main_address(guid)
        if main is not None and (moved or "Name" in fields):
            main.update(moved, AccountName=account["Name"])
            self._touch("addresses", main, local_now())

    def block_account(self, guid: str):
        self.update_account(guid, Blocked=True)

    def delete_account(self, guid: str):
        self._get("accounts", guid)
        for address in [a for a in self.addresses.values() if a["Account"] == guid]:
            del self.addresses[address["ID"]]
            self._record_deletion("addresses", address["ID"])
        del self.accounts[guid]
        self.main_address_ids.pop(guid, None)
        self._record_deletion("accounts", guid)

    def main_address(self, account_guid: str) -> dict | None:
        return self.addresses.get(self.main_address_ids.get(account_guid, ""))

    def update_address(self, guid: str, **fields):
        address = self._get("addresses", guid)
        _check_fields(address, fields, "address")
        address.update(fields)
        if "Country" in fields:
            address["Country"] = pad_country(address["Country"].strip())
        self._touch("addresses", address, local_now())
        if address["Type"] == 1 and address["Main"]:
            account = self.accounts[address["Account"]]
            account.update({k: address[k] for k in MAIN_ADDRESS_FIELDS})
            self._touch("accounts", account, local_now())

    # -- items ---------------------------------------------------------------------------------------

    def add_item(self, created: datetime | None = None, **fields) -> str:
        created = created or local_now()
        guid = self.new_guid()
        group = next(iter(self.item_groups.values()))
        item = {
            "ID": guid, "Code": None, "Description": None, "ExtraDescription": None, "ItemGroup": group["ID"],
            "IsSalesItem": True, "IsPurchaseItem": True, "IsStockItem": False,
            "StartDate": created.replace(hour=0, minute=0, second=0, microsecond=0), "EndDate": None,
            "Unit": "stuk", "UnitDescription": "Stuk", "StandardSalesPrice": Decimal("0"),
            "CostPriceStandard": Decimal("0"), "SalesVatCode": "2", "Created": created, "Modified": created,
            "Division": self.division,
        }
        _check_fields(item, fields, "item")
        item.update(fields)
        item["Code"] = item["Code"] or f"ART-{len(self.items) + 1:05d}"
        item["Description"] = item["Description"] or item["Code"]
        item["Unit"] = pad_unit(item["Unit"])
        self._apply_item_group(item)
        self.items[guid] = item
        self._touch("items", item)
        return guid

    def _apply_item_group(self, item: dict):
        group = self.item_groups.get(item["ItemGroup"])
        if group is None:
            raise UnknownRecord(f"no item group {item['ItemGroup']}")
        item["ItemGroupCode"], item["ItemGroupDescription"] = group["Code"], group["Description"]

    def update_item(self, guid: str, **fields):
        item = self._get("items", guid)
        _check_fields(item, fields, "item")
        item.update(fields)
        item["Unit"] = pad_unit(item["Unit"])
        self._apply_item_group(item)
        self._touch("items", item, local_now())

    def delete_item(self, guid: str):
        self._get("items", guid)
        del self.items[guid]
        self._record_deletion("items", guid)

    # -- what the office does in Exact -----------------------------------------------------------------

    def process_invoice(self, guid: str) -> int:
        """The office processes a draft (prints or sends it): Status 50 and its InvoiceNumber, which
        an open draft lacks (PQ-SalesInvoice: "Assigned at entry or at printing"; picqer#171), and it
        cannot be reopened. Exact files the invoice's PDF as a type 10 document on the customer with
        FinancialTransactionEntryID the invoice (NG attach-file-invoice.test.json). Returns the number."""
        invoice = self._get("invoices", guid)
        if invoice["Status"] == PROCESSED:
            raise ValueError(f"invoice {guid} is processed already")
        number, now = self.invoice_number, local_now()
        self.invoice_number += 1
        invoice.update(Status=PROCESSED, InvoiceNumber=number)
        self._touch("invoices", invoice, now)
        document = self.new_guid()
        self.documents[document] = {
            "ID": document, "Account": invoice["InvoiceTo"], "Subject": f"Invoice: {number}", "Type": 10,
            "TypeDescription": self.document_types[10]["Description"], "Body": None,
            "DocumentDate": now.replace(hour=0, minute=0, second=0, microsecond=0),
            "FinancialTransactionEntryID": guid, "Created": now, "Modified": now, "Division": self.division}
        return number

    def delete_invoice(self, guid: str):
        """The office deletes a draft: gone, and listed in sync/Deleted as EntityType 13 (EXDOC Deleted.md).
        A processed invoice is a booked entry and cannot be deleted like a draft (PQ-SalesInvoice: processed
        cannot be reopened)."""
        if self._get("invoices", guid)["Status"] == PROCESSED:
            raise ValueError(f"invoice {guid} is processed: only a draft can be deleted")
        del self.invoices[guid.lower()]
        self._record_deletion("invoices", guid.lower())

    def delete_document(self, guid: str):
        """The office deletes a document from the customer's card: gone with its attachments, and
        listed in sync/Deleted as EntityType 6 (EXDOC Deleted.md). Whether Exact also lists each
        attachment (EntityType 4) is not documented: the sandbox lists the document only."""
        self._get("documents", guid)
        for attachment in [a for a in self.attachments.values() if a["Document"] == guid.lower()]:
            del self.attachments[attachment["ID"]]
        del self.documents[guid.lower()]
        self._record_deletion("documents", guid.lower())

    def _get(self, table: str, guid: str) -> dict:
        try:
            return getattr(self, table)[guid.lower()]
        except KeyError:
            raise UnknownRecord(f"no {table[:-1]} with ID {guid}") from None


def _letters(rng: FastRandom) -> str:
    return rng.choice("ABCDEFGHJKLMNPRSTVWXZ") + rng.choice("ABCDEFGHJKLMNPRSTVWXZ")


def _matches(row: dict, equals: dict) -> bool:
    return all(row.get(k) == v for k, v in equals.items())


def _check_fields(row: dict, fields: dict, what: str):
    unknown = set(fields) - set(row) - {"ItemGroupCode", "ItemGroupDescription"}
    if unknown:
        raise TypeError(f"unknown {what} field(s): {', '.join(sorted(unknown))}")
