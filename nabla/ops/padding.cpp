#include "nabla/ops/padding.h"

#include <algorithm>
#include <cctype>

#include "nabla/core/error.h"

namespace nabla {

Padding parse_padding(const std::string& name, const std::string& who) {
  std::string s;
  for (char c : name) s += char(std::tolower(static_cast<unsigned char>(c)));
  if (s == "valid") return Padding::valid;
  if (s == "same") return Padding::same;
  throw ValueError(detail::concat(who, ": padding must be \"valid\" or \"same\", got \"", name, "\""));
}

const char* padding_name(Padding p) { return p == Padding::same ? "same" : "valid"; }

Window1D window_1d(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, Padding padding) {
  int64_t span = (kernel - 1) * dilation + 1;  // the dilated window's extent
  Window1D w;
  if (padding == Padding::valid) {
    w.out = in >= span ? (in - span) / stride + 1 : 0;
    return w;
  }
  w.out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>((w.out - 1) * stride + span - in, 0);
  w.pad_before = total / 2;
  w.pad_after = total - w.pad_before;
  return w;
}

}  // namespace nabla
