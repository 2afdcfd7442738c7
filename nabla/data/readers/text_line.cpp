#include "nabla/data/readers/text_line.h"

#include <sys/stat.h>

#include <fstream>

#include "nabla/data/node.h"

namespace nabla::data {
namespace {

class TextLineNode final : public detail::DatasetNode {
 public:
  TextLineNode(std::vector<std::string> paths, int64_t skip) : paths_(std::move(paths)), skip_(skip) {}
  std::string name() const override { return nabla::detail::concat("text_line(", paths_.size(), " files)"); }
  int64_t cardinality() const override { return paths_.empty() ? 0 : UNKNOWN_CARDINALITY; }
  std::string fingerprint() const override {
    std::string fp = nabla::detail::concat("text_line(", skip_);
    for (const auto& p : paths_) {
      struct stat st {};
      ::stat(p.c_str(), &st);
      fp += nabla::detail::concat(";", p, ":", st.st_size, ":", st.st_mtime);
    }
    return fp + ")";
  }

 protected:
  detail::IterPtr make(const detail::IterContext&, StageCounters*) const override {
    struct It final : detail::IteratorBase {
      std::shared_ptr<const TextLineNode> node;
      size_t file = 0;
      std::ifstream in;
      bool open = false;
      std::string line;
      std::optional<Element> next() override {
        while (file < node->paths_.size()) {
          if (!open) {
            in = std::ifstream(node->paths_[file], std::ios::binary);
            if (!in) throw IOError("text_line_dataset: cannot open '" + node->paths_[file] + "'");
            open = true;
            for (int64_t i = 0; i < node->skip_ && std::getline(in, line); ++i) {
            }
          }
          if (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            return Element{string_tensor(line)};
          }
          open = false;
          ++file;
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const TextLineNode>(shared_from_this());
    return it;
  }

 private:
  std::vector<std::string> paths_;
  int64_t skip_;
};

}  // namespace

Dataset text_line_dataset(std::vector<std::string> paths, int64_t skip_header_lines) {
  return detail::DatasetAccess::make(std::make_shared<TextLineNode>(std::move(paths), skip_header_lines));
}

}  // namespace nabla::data
