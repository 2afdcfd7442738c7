#include "nabla/core/tensor_print.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

PrintOptions& print_options() {
  static PrintOptions options;
  return options;
}

void set_printoptions(const PrintOptions& options) { print_options() = options; }

namespace {

// The values of a contiguous copy (as double, or int64 for integer dtypes) plus the geometry to walk them.
struct Values {
  std::vector<double> f;
  std::vector<int64_t> i;
  bool floating = false;
  Shape shape;
};

// PyTorch's _Formatter: one width and one style for every value shown.
class Formatter {
 public:
  Formatter(const Values& v, const std::vector<int64_t>& shown, const PrintOptions& o) : v_(v), o_(o) {
    if (!v.floating) {
      for (int64_t k : shown) width_ = std::max(width_, std::to_string(v.i[size_t(k)]).size());
      return;
    }
    double lo = INFINITY, hi = 0;
    bool any = false;
    for (int64_t k : shown) {
      double x = v.f[size_t(k)];
      if (!std::isfinite(x) || x == 0) continue;
      any = true;
      lo = std::min(lo, std::abs(x));
      hi = std::max(hi, std::abs(x));
      if (x != std::ceil(x)) int_mode_ = false;
    }
    if (!any) return;  // only zeros, infinities and NaNs: integer style, width from the values themselves
    if (int_mode_) {
      sci_mode_ = hi / lo > 1000. || hi > 1e8;
    } else {
      sci_mode_ = hi / lo > 1000. || hi > 1e8 || lo < 1e-4;
    }
    for (int64_t k : shown) {
      double x = v.f[size_t(k)];
      if (!std::isfinite(x) || x == 0) continue;
      size_t w = sci_mode_ ? fmt("%.*e", x).size() : int_mode_ ? fmt("%.0f", x).size() + 1 : fmt("%.*f", x).size();
      width_ = std::max(width_, w);
    }
  }

  size_t width() const { return width_; }

  std::string format(int64_t k) const {
    std::string s;
    if (!v_.floating) {
      s = std::to_string(v_.i[size_t(k)]);
    } else {
      double x = v_.f[size_t(k)];
      if (std::isnan(x)) s = "nan";
      else if (std::isinf(x)) s = x > 0 ? "inf" : "-inf";
      else if (sci_mode_) s = fmt("%.*e", x);
      else if (int_mode_) s = fmt("%.0f", x) + ".";
      else s = fmt("%.*f", x);
    }
    return std::string(s.size() < width_ ? width_ - s.size() : 0, ' ') + s;
  }

 private:
  std::string fmt(const char* spec, double x) const {
    char buf[64];
    if (spec[1] == '.' && spec[2] == '*') std::snprintf(buf, sizeof buf, spec, o_.precision, x);
    else std::snprintf(buf, sizeof buf, spec, x);
    return buf;
  }

  const Values& v_;
  const PrintOptions& o_;
  bool int_mode_ = true, sci_mode_ = false;
  size_t width_ = 1;
};

int64_t stride_of(const Shape& s, int d) {
  int64_t st = 1;
  for (int k = d + 1; k < s.size(); ++k) st *= s[k];
  return st;
}

// Indices along dimension d that are printed: all, or edgeitems at each end (-1 marks the "...").
std::vector<int64_t> shown_indices(int64_t n, bool summarize, int64_t edge) {
  std::vector<int64_t> r;
  if (summarize && n > 2 * edge) {
    for (int64_t i = 0; i < edge; ++i) r.push_back(i);
    r.push_back(-1);
    for (int64_t i = n - edge; i < n; ++i) r.push_back(i);
  } else {
    for (int64_t i = 0; i < n; ++i) r.push_back(i);
  }
  return r;
}

void collect_shown(const Shape& s, int d, int64_t base, bool summarize, int64_t edge, std::vector<int64_t>& out) {
  if (d == s.size()) {
    out.push_back(base);
    return;
  }
  for (int64_t i : shown_indices(s[d], summarize, edge))
    if (i >= 0) collect_shown(s, d + 1, base + i * stride_of(s, d), summarize, edge, out);
}

std::string render(const Values& v, const Formatter& f, int d, int64_t base, size_t indent, bool summarize,
                   const PrintOptions& o) {
  const Shape& s = v.shape;
  if (d == s.size()) return f.format(base);
  std::vector<int64_t> idx = shown_indices(s[d], summarize, o.edgeitems);
  if (d == s.size() - 1) {  // _vector_str: wrap at the line width
    const int64_t room = std::max<int64_t>(o.linewidth - int64_t(indent), 0);
    const size_t per_line = std::max<size_t>(1, size_t(room) / (f.width() + 2));
    std::vector<std::string> items;
    for (int64_t i : idx) items.push_back(i < 0 ? std::string(" ...") : f.format(base + i));
    std::string r = "[";
    for (size_t k = 0; k < items.size(); ++k) {
      if (k && k % per_line == 0) r.append(",\n").append(indent + 1, ' ');
      else if (k) r.append(", ");
      r += items[k];
    }
    return r + "]";
  }
  std::string sep = ",";
  sep.append(size_t(s.size() - d - 1), '\n').append(indent + 1, ' ');
  std::string r = "[";
  bool first = true;
  for (int64_t i : idx) {
    if (!first) r += sep;
    first = false;
    r += i < 0 ? std::string("...") : render(v, f, d + 1, base + i * stride_of(s, d), indent + 1, summarize, o);
  }
  return r + "]";
}

}  // namespace

std::string tensor_str(const Tensor& t, const PrintOptions& o) {
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const size_t indent = prefix.size();
  Values v;
  v.shape = t.shape();
  v.floating = is_floating(t.dtype());
  if (v.floating) v.f = t.detach().to_vector<double>();
  else v.i = t.detach().to_vector<int64_t>();
  const bool summarize = t.numel() > o.threshold;
  std::string body;
  if (t.numel() == 0) {
    body = "[]";
  } else {
    std::vector<int64_t> shown;
    collect_shown(v.shape, 0, 0, summarize, o.edgeitems, shown);
    Formatter f(v, shown, o);
    body = render(v, f, 0, 0, indent, summarize, o);
  }
  // _add_suffixes: a suffix that would overflow the line goes on its own line.
  std::vector<std::string> suffixes{"shape=" + t.shape().str(), std::string("dtype=") + dtype_name(t.dtype())};
  if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  std::string r = prefix + body;
  size_t nl = r.rfind('\n');
  // PyTorch's count: len(s) - s.rfind("\n") + 1, where rfind gives -1 when there is no newline.
  size_t last_line = nl == std::string::npos ? r.size() + 2 : r.size() - nl + 1;
  for (const std::string& sfx : suffixes) {
    if (last_line + sfx.size() + 2 > size_t(o.linewidth)) {
      r.append(",\n").append(indent, ' ').append(sfx);
      last_line = indent + sfx.size();
    } else {
      r.append(", ").append(sfx);
      last_line += sfx.size() + 2;
    }
  }
  return r + ")";
}

}  // namespace nabla
