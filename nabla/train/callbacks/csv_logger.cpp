#include "nabla/train/callbacks/csv_logger.h"

#include <charconv>
#include <filesystem>

#include "nabla/core/error.h"

namespace nabla::callbacks {

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), sep_(std::move(separator)), append_(append) {}

void CSVLogger::on_train_begin(Logs&) {
  std::error_code ec;
  write_header_ = !(append_ && std::filesystem::exists(filename_, ec) && std::filesystem::file_size(filename_, ec) > 0);
  file_.open(filename_, append_ ? std::ios::app : std::ios::trunc);
  if (!file_) throw IOError("CSVLogger: cannot open '" + filename_ + "' for writing");
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (keys_.empty()) {  // the columns are fixed by the first epoch (std::map keeps them sorted)
    for (const auto& [k, v] : logs) keys_.push_back(k);
    if (write_header_) {
      file_ << "epoch";
      for (const auto& k : keys_) file_ << sep_ << k;
      file_ << "\n";
    }
  }
  file_ << epoch;
  for (const auto& k : keys_) {
    auto it = logs.find(k);
    file_ << sep_;
    if (it == logs.end()) {
      file_ << "NA";  // e.g. validation values missing in an epoch cut short
    } else {
      char buf[64];  // shortest round-trip text, as Python's csv writes floats
      auto r = std::to_chars(buf, buf + sizeof buf, it->second);
      file_.write(buf, r.ptr - buf);
    }
  }
  file_ << "\n";
  file_.flush();  // a crash keeps every finished epoch
}

void CSVLogger::on_train_end(Logs&) { file_.close(); }

}  // namespace nabla::callbacks
