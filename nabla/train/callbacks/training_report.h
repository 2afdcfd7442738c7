#pragma once
// TrainingReport: training you can see. One self-contained HTML file (inline SVG, a few lines of inline script,
// no external scripts, styles or fonts), rewritten atomically (temporary name + rename) at the end of every epoch,
// so a browser tab can be reloaded at any time while fit runs. It shows:
//   - loss and each metric per epoch, training and validation;
//   - the learning rate and every trainable layer's gradient L2 norm, sampled every grad_norm_every steps;
//   - for classifiers (a crossentropy or focal loss, one input and one output) the confusion matrix and the
//     per-class precision, recall and F1 on the validation data fit was given (or the data passed here);
//   - findings with advice: a non-finite loss (found here), and whatever `findings` returns, e.g.
//     debug::report_findings(diagnostics) for debug::Diagnostics' diagnoses.
// train/ does not depend on debug/, hence the findings hook instead of a Diagnostics member. In a data-parallel fit
// only the chief (replica 0) writes.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/train/callback.h"

namespace nabla {
struct ValidationData;
}

namespace nabla::callbacks {

// One finding shown with its advice (debug::Diagnosis's fields).
struct ReportFinding {
  std::string kind;      // "loss_nan", "exploding_gradients", ...
  std::string layer;     // empty when not about one layer
  std::string evidence;  // the numbers
  std::string advice;
};

struct TrainingReportOptions {
  std::string title;                  // default: "<model name> training report"
  int64_t grad_norm_every = 10;       // steps between gradient-norm (and learning-rate) samples
  std::vector<std::string> class_names;  // labels of the confusion matrix; default: the class ids
  // Called at every rewrite; its findings are listed with their advice.
  std::function<std::vector<ReportFinding>()> findings;
  // Data for the confusion matrix instead of fit's validation data: (x, y) tensors. Undefined: fit's.
  Tensor x_val, y_val;
};

class TrainingReport : public Callback {
 public:
  explicit TrainingReport(std::string path, TrainingReportOptions opts = {});
  void on_train_begin(Logs&) override;
  void on_train_end(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_batch_end(int64_t batch, Logs& logs) override;

  // A finding of your own (e.g. the NumericsError that stopped fit): listed from the next write on.
  void add_finding(ReportFinding f) { extra_findings_.push_back(std::move(f)); }
  // Rewrites the file now (fit does so at every epoch end).
  void write();
  // The page as it would be written now.
  std::string html() const;
  const std::string& path() const { return path_; }

  // A square confusion matrix (rows: true class, columns: predicted) and its per-class figures.
  struct Confusion {
    std::vector<std::vector<int64_t>> counts;
    int64_t total() const;
    double precision(size_t c) const;  // NaN when nothing was predicted as c
    double recall(size_t c) const;     // NaN when c never occurs
  };

 private:
  void update_confusion();
  std::string path_;
  TrainingReportOptions opts_;
  std::vector<int> epochs_;
  std::map<std::string, std::vector<double>> history_;  // per epoch, NaN where absent
  std::vector<int64_t> sample_steps_;
  std::vector<double> sample_lr_;
  std::map<std::string, std::vector<double>> grad_norms_;  // per layer, per sample
  std::vector<std::string> layer_order_;
  std::optional<Confusion> confusion_;
  std::string confusion_note_;  // why there is none
  std::vector<ReportFinding> own_findings_, extra_findings_;
  int64_t global_step_ = 0;
  std::string model_name_;
  int64_t params_ = 0;
  bool chief_ = true;
};

}  // namespace nabla::callbacks
