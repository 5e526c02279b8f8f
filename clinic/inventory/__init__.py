"""Inventory (nested app "inventory"): supplies and their lots, an append-only ledger of
stock movements signed by their authors, each service's bill of materials (consumed when a
visit is completed), and the low-stock and expiry lists. Its own app because its ledger has
its own rules (never edited, never deleted) and it builds on clinic, never the reverse
(ARCHITECTURE.md, section 2)."""
