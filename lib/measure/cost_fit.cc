#include "measure/cost_fit.h"

#include <cmath>

namespace grid {
namespace {

// Solves the n x n system a x = b (n small) by Gaussian elimination with
// partial pivoting; a singular system leaves the unknowns at 0.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::fabs(a[r][c]) > std::fabs(a[p][c])) p = r;
    if (a[p][c] == 0) return std::vector<double>(n, 0.0);
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (size_t r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (size_t c = 0; c < n; ++c) b[c] /= a[c][c];
  return b;
}

}  // namespace

double units_of(const TaskWork& work, const std::string& unit) {
  auto it = work.find(unit);
  return it == work.end() ? 0.0 : it->second;
}

double seconds_at(const TaskWork& work, const json& costs, const std::string& skip) {
  double s = 0;
  for (auto it = costs.begin(); it != costs.end(); ++it)
    if (it.key() != skip) s += units_of(work, it.key()) * it.value().get<double>();
  return s;
}

std::map<std::string, double> fit_unit_costs(const std::vector<Measured>& runs, const std::vector<std::string>& unknown,
                                             const json& known) {
  std::map<std::string, double> costs;
  for (const std::string& u : unknown) costs[u] = 0;
  std::vector<std::string> free = unknown;
  const Measured& base = runs.front();
  // Each pass fits the free units; the most negative one is then fixed at
  // 0. At most one pass a unit.
  while (!free.empty()) {
    const size_t n = free.size();
    std::vector<std::vector<double>> ata(n, std::vector<double>(n, 0.0));
    std::vector<double> atb(n, 0.0);
    for (size_t r = 1; r < runs.size(); ++r) {
      std::vector<double> row(n);
      for (size_t u = 0; u < n; ++u) row[u] = units_of(runs[r].work, free[u]) - units_of(base.work, free[u]);
      const double rhs = (runs[r].seconds - seconds_at(runs[r].work, known)) - (base.seconds - seconds_at(base.work, known));
      const double w = 1 / std::max(runs[r].seconds, 1e-6);
      for (size_t i = 0; i < n; ++i) {
        for (size_t j = 0; j < n; ++j) ata[i][j] += w * w * row[i] * row[j];
        atb[i] += w * w * row[i] * rhs;
      }
    }
    const std::vector<double> x = solve(ata, atb);
    size_t worst = n;
    for (size_t u = 0; u < n; ++u)
      if (x[u] < 0 && (worst == n || x[u] < x[worst])) worst = u;
    if (worst == n) {
      for (size_t u = 0; u < n; ++u) costs[free[u]] = x[u];
      break;
    }
    free.erase(free.begin() + static_cast<std::ptrdiff_t>(worst));
  }
  return costs;
}

}  // namespace grid
