// Planted violation for lint/marks_asserted: a mark that no test names.
void planted() { PTOSIM_MARK("a mark no test asserts"); }
