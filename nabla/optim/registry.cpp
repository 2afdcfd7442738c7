// Optimizers by Keras name. One explicit table (not self-registration from each file), because a static
// library drops object files that nothing references.
#include "nabla/optim/adam.h"
#include "nabla/optim/rmsprop.h"
#include "nabla/optim/sgd.h"

namespace nabla::optim {

OptimizerPtr get(const std::string& name) {
  if (name == "adam") return std::make_shared<Adam>();
  if (name == "adamw") return AdamW();
  if (name == "sgd") return std::make_shared<SGD>();
  if (name == "rmsprop") return std::make_shared<RMSprop>();
  throw ValueError("unknown optimizer '" + name + "' (known: adam, adamw, rmsprop, sgd)");
}

}  // namespace nabla::optim
