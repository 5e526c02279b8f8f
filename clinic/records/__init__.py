"""Clinical records (nested app "records"): medical history, visits and addenda, the
odontogram, private documents and the append-only access log. Its own app because its
data has its own access and retention rules (ARCHITECTURE.md, section 2)."""
