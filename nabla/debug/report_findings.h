#pragma once
// debug::Diagnostics' diagnoses as callbacks::TrainingReport findings: train/ cannot see debug/, so the report
// takes a function that lists findings, and this makes one that reads a Diagnostics callback at each rewrite.
//   auto diag = std::make_shared<debug::Diagnostics>();
//   auto report = std::make_shared<callbacks::TrainingReport>(
//       "report.html", callbacks::TrainingReportOptions{.findings = debug::report_findings(diag)});
//   model.fit(x, y, {.callbacks = {diag, report}});   // Diagnostics before the report: its epoch-end checks land
#include <functional>
#include <memory>
#include <vector>

#include "nabla/debug/check_numerics.h"
#include "nabla/debug/diagnostics.h"
#include "nabla/train/callbacks/training_report.h"

namespace nabla::debug {

std::function<std::vector<callbacks::ReportFinding>()> report_findings(std::shared_ptr<const Diagnostics> diagnostics);

// A NumericsError (check mode's report of the first NaN/Inf) as a finding, for the report of a fit it stopped.
callbacks::ReportFinding report_finding(const NumericsError& error);

}  // namespace nabla::debug
