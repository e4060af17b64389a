// Planted violations: the lint tests run the checks on this folder and expect them to fail.
#include <chrono>
#include <cstdlib>
long wall() { return std::chrono::steady_clock::now().time_since_epoch().count(); }
const char* home() { return getenv("HOME"); }
struct Doc { const char* dump(int) const { return "{}"; } };
const char* text(const Doc& doc) { return doc.dump(2); }  // JSON serialized outside replay::json_text
