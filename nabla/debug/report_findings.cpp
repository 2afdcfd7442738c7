#include "nabla/debug/report_findings.h"

namespace nabla::debug {

std::function<std::vector<callbacks::ReportFinding>()> report_findings(std::shared_ptr<const Diagnostics> diagnostics) {
  return [d = std::move(diagnostics)] {
    std::vector<callbacks::ReportFinding> out;
    for (const Diagnosis& g : d->diagnoses()) out.push_back({g.kind, g.layer, g.evidence, g.advice});
    return out;
  };
}

callbacks::ReportFinding report_finding(const NumericsError& error) {
  std::string what = error.what();
  if (!error.dump_path.empty()) what += " (NaN dump: " + error.dump_path + ")";
  return {"numerics_" + error.phase, error.layer_path, what,
          "The op above is the first to produce NaN/Inf. Look at its inputs' statistics: a log or division of 0 "
          "calls for an epsilon or a fused loss (from_logits), huge values for a lower learning rate or gradient "
          "clipping. Replay the dumped step to try a fix on exactly that batch."};
}

}  // namespace nabla::debug
