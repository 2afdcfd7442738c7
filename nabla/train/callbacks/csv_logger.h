#pragma once
// CSVLogger (Keras semantics): one row per epoch, "epoch" (0-based) then every logged value in sorted key
// order. With append, rows are added to an existing file and the header is written only if the file is empty.
#include <fstream>
#include <string>
#include <vector>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;

 private:
  std::string filename_, sep_;
  bool append_;
  bool write_header_ = true;
  std::vector<std::string> keys_;
  std::ofstream file_;
};

}  // namespace nabla::callbacks
