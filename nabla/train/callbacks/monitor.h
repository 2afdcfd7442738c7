#pragma once
// How EarlyStopping, ModelCheckpoint and ReduceLROnPlateau decide what "better" means for a monitored value.
#include <string>

namespace nabla::callbacks {

// True when larger is better. mode is "min", "max" or "auto"; auto picks max for accuracies, AUC, precision
// and recall (with or without a "val_" prefix) and min for everything else, as Keras's name rule does.
bool monitor_maximizes(const std::string& monitor, const std::string& mode, const char* callback_name);

}  // namespace nabla::callbacks
