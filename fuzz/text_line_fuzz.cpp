// text_line_dataset over one file; the first input byte is the number of header lines to skip (0-15).
#include "fuzz_util.h"
#include "nabla/data/element.h"
#include "nabla/data/readers/text_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  if (size == 0) return -1;
  const int64_t skip = data[0] & 15;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  file.write(text.data(), text.size());
  nabla::fuzz::expect_clean([&] {
    auto it = nabla::data::text_line_dataset(file.path(), skip).make_iterator();
    // Without skipped lines, the lines must give back the file: each one followed by "\n", "\r\n", "\r" at the
    // very end, or nothing at the very end. No line lost, split, merged or cut.
    size_t pos = 0;
    while (auto e = it.next()) {
      const std::string line = nabla::data::tensor_string((*e)[0]);
      if (skip) continue;
      if (text.compare(pos, line.size(), line) != 0) std::abort();
      pos += line.size();
      if (pos < text.size() && text[pos] == '\r' && (pos + 1 == text.size() || text[pos + 1] == '\n')) ++pos;
      if (pos < text.size()) {
        if (text[pos] != '\n') std::abort();
        ++pos;
      }
    }
    if (!skip && pos != text.size()) std::abort();
  });
  return 0;
}
