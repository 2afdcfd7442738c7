#include "nabla/train/callbacks/monitor.h"

#include "nabla/core/error.h"

namespace nabla::callbacks {

bool monitor_maximizes(const std::string& monitor, const std::string& mode, const char* callback_name) {
  if (mode == "min") return false;
  if (mode == "max") return true;
  NABLA_CHECK(mode == "auto", callback_name, ": mode must be 'auto', 'min' or 'max', got '", mode, "'");
  std::string m = monitor.rfind("val_", 0) == 0 ? monitor.substr(4) : monitor;
  for (const char* up : {"acc", "auc", "precision", "recall"})
    if (m.find(up) != std::string::npos) return true;
  return false;
}

}  // namespace nabla::callbacks
