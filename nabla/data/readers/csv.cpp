#include "nabla/data/readers/csv.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "nabla/data/node.h"

namespace nabla::data {
namespace {

// Splits one record; "..." quotes a field and "" inside quotes is a literal quote.
std::vector<std::string> split_fields(const std::string& line, char delim) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') out.back() += '"', ++i;
      else if (ch == '"') quoted = false;
      else out.back() += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == delim) {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Parses text as the given type; false if it is not entirely a number of that type.
bool parse_value(const std::string& text, DType t, double& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  if (is_floating(t)) {
    out = std::strtod(text.c_str(), &end);
  } else {
    long long v = std::strtoll(text.c_str(), &end, 10);
    out = double(v);
    if (t == u8 && (v < 0 || v > 255)) return false;
    if (t == i32 && (v < INT32_MIN || v > INT32_MAX)) return false;
  }
  return errno == 0 && end == text.c_str() + text.size();
}

// Whether v converts to t without undefined behaviour: integers must be in range (and not NaN). Float targets
// take anything (out-of-range values become infinities).
bool fits(double v, DType t) {
  switch (t) {
    case DType::u8: return v > -1.0 && v < 256.0;
    case DType::i32: return v > -2147483649.0 && v < 2147483648.0;
    case DType::i64: return v >= -9223372036854775808.0 && v < 9223372036854775808.0;
    default: return true;
  }
}

void store(const Tensor& t, int64_t i, double v) {
  NABLA_DISPATCH_ALL(t.dtype(), T, t.data<T>()[i] = T(v));
}

class CsvNode final : public detail::DatasetNode {
 public:
  CsvNode(std::vector<std::string> paths, CsvOptions o) : paths_(std::move(paths)), o_(std::move(o)) {
    NABLA_CHECK(o_.header || !o_.column_names.empty(), "make_csv_dataset: without a header, column_names are needed");
  }
  std::string name() const override { return nabla::detail::concat("csv(", paths_.size(), " files)"); }
  int64_t cardinality() const override { return paths_.empty() ? 0 : UNKNOWN_CARDINALITY; }
  std::string fingerprint() const override {
    std::string fp = nabla::detail::concat("csv(", o_.header, o_.delimiter, o_.label_column, int(o_.features_dtype));
    for (const auto& c : o_.column_names) fp += "," + c;
    for (const auto& c : o_.select_columns) fp += ",s:" + c;
    for (const auto& [k, v] : o_.column_types) fp += nabla::detail::concat(",t:", k, "=", int(v));
    for (const auto& [k, v] : o_.column_defaults) fp += nabla::detail::concat(",d:", k, "=", v);
    for (const auto& p : paths_) {
      struct stat st {};
      ::stat(p.c_str(), &st);
      fp += nabla::detail::concat(";", p, ":", st.st_size, ":", st.st_mtime);
    }
    return fp + ")";
  }

 protected:
  detail::IterPtr make(const detail::IterContext&, StageCounters*) const override {
    struct Column {
      std::string name;
      int index;  // in the record
      DType type;
      bool has_default;
      double def;
    };
    struct It final : detail::IteratorBase {
      std::shared_ptr<const CsvNode> node;
      size_t file = 0;
      std::ifstream in;
      bool open = false;
      int64_t line_no = 0, row = 0;
      size_t nfields = 0;
      std::vector<Column> features;
      std::optional<Column> label;

      const CsvOptions& o() const { return node->o_; }
      const std::string& path() const { return node->paths_[file]; }

      // Resolves the columns from the header (or the given names).
      void setup(const std::vector<std::string>& names) {
        nfields = names.size();
        auto find = [&](const std::string& n) -> int {
          auto it = std::find(names.begin(), names.end(), n);
          if (it == names.end())
            throw PipelineError("make_csv_dataset: " + path() + ": no column named '" + n + "'", row);
          return int(it - names.begin());
        };
        auto column = [&](const std::string& n) {
          Column c{n, find(n), f32, false, 0.0};
          if (auto t = o().column_types.find(n); t != o().column_types.end()) c.type = t->second;
          if (auto d = o().column_defaults.find(n); d != o().column_defaults.end()) c.has_default = true, c.def = d->second;
          return c;
        };
        features.clear();
        label.reset();
        if (!o().label_column.empty()) label = column(o().label_column);
        std::vector<std::string> sel = o().select_columns.empty() ? names : o().select_columns;
        if (!o().select_columns.empty()) {
          // Keep file order, whatever order the selection lists them in.
          std::vector<std::pair<int, std::string>> by_pos;
          for (const auto& n : sel) by_pos.emplace_back(find(n), n);
          std::sort(by_pos.begin(), by_pos.end());
          sel.clear();
          for (auto& [p, n] : by_pos) sel.push_back(n);
        }
        for (const auto& n : sel)
          if (n != o().label_column) features.push_back(column(n));
      }

      // The column's value in record f, to be stored as `to` (the features dtype, or the label's type).
      double field(const std::vector<std::string>& f, const Column& c, DType to) {
        std::string text = trim(f[size_t(c.index)]);
        double v = 0;
        if (text.empty()) {
          if (!c.has_default)
            throw PipelineError(nabla::detail::concat(path(), ":", line_no, ": column '", c.name, "' (",
                                                      c.index + 1, ") is empty and has no default"),
                                row);
          v = c.def;
          text = nabla::detail::concat(v, " (its default)");
        } else if (!parse_value(text, c.type, v)) {
          throw PipelineError(nabla::detail::concat(path(), ":", line_no, ": column '", c.name, "' (", c.index + 1,
                                                    "): cannot parse '", text, "' as ", dtype_name(c.type)),
                              row);
        }
        // Found by fuzz/csv_fuzz.cpp: 1e300 in a float column stored into int32 features was undefined behaviour.
        if (!fits(v, to))
          throw PipelineError(nabla::detail::concat(path(), ":", line_no, ": column '", c.name, "' (", c.index + 1,
                                                    "): ", text, " does not fit ", dtype_name(to)),
                              row);
        return v;
      }

      std::optional<Element> next() override {
        std::string line;
        while (file < node->paths_.size()) {
          if (!open) {
            in = std::ifstream(path(), std::ios::binary);
            if (!in) throw IOError("make_csv_dataset: cannot open '" + path() + "'");
            open = true;
            line_no = 0;
            if (o().header) {
              if (!std::getline(in, line)) {
                open = false;
                ++file;
                continue;
              }
              ++line_no;
              if (!line.empty() && line.back() == '\r') line.pop_back();
              auto names = split_fields(line, o().delimiter);
              for (auto& n : names) n = trim(n);
              if (!o().column_names.empty() && names != o().column_names)
                throw PipelineError("make_csv_dataset: " + path() + ": header does not match column_names", row);
              setup(o().column_names.empty() ? names : o().column_names);
            } else {
              setup(o().column_names);
            }
          }
          if (!std::getline(in, line)) {
            open = false;
            ++file;
            continue;
          }
          ++line_no;
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (trim(line).empty()) continue;
          auto f = split_fields(line, o().delimiter);
          if (f.size() != nfields)
            throw PipelineError(nabla::detail::concat(path(), ":", line_no, ": expected ", nfields, " fields, found ",
                                                      f.size()),
                                row);
          Tensor x = make_tensor(Shape{int64_t(features.size())}, o().features_dtype);
          for (size_t k = 0; k < features.size(); ++k)
            store(x, int64_t(k), field(f, features[k], o().features_dtype));
          Element e{x};
          if (label) {
            Tensor y = make_tensor(Shape{}, label->type);
            store(y, 0, field(f, *label, label->type));
            e.push_back(y);
          }
          ++row;
          return e;
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const CsvNode>(shared_from_this());
    return it;
  }

 private:
  std::vector<std::string> paths_;
  CsvOptions o_;
};

}  // namespace

Dataset make_csv_dataset(std::vector<std::string> paths, CsvOptions options) {
  return detail::DatasetAccess::make(std::make_shared<CsvNode>(std::move(paths), std::move(options)));
}

Dataset make_csv_dataset(const std::string& pattern, CsvOptions options) {
  glob_t g{};
  std::vector<std::string> files;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  // A plain path that does not exist is reported (with its name) when the pass reaches it.
  if (files.empty()) files.push_back(pattern);
  std::sort(files.begin(), files.end());
  return make_csv_dataset(std::move(files), std::move(options));
}

}  // namespace nabla::data
