// A failure map as a picture a browser shows (SVG 1.1, no script, no external resource): one
// varied parameter gives the failing-outcome rate per value with its 95% Wilson interval (and the
// rate of runs with a failing outcome or a finding beside it); two give a heatmap of the
// failing-outcome rate with the counts in the cells. Both carry a title, axis labels and a legend.
#include "replay/failure_map.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

namespace ptosim::replay {

namespace {

std::string num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string percent(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f%%", rate * 100);
  return buffer;
}

// Long labels (a list value that is an object) are cut so the axes stay readable.
std::string label(const std::string& text) { return xml_escape(text.size() > 16 ? text.substr(0, 15) + "~" : text); }

// White at 0, dark red at 1: the shade of a failing-outcome rate.
std::string shade(double rate) {
  const double r = std::clamp(rate, 0.0, 1.0);
  const int red = static_cast<int>(255 - r * (255 - 178));
  const int green = static_cast<int>(255 - r * (255 - 24));
  const int blue = static_cast<int>(255 - r * (255 - 43));
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", red, green, blue);
  return buffer;
}

std::string title(const MapDocument& map) {
  const std::uint64_t per_cell = map.meta.seeds.count();
  return xml_escape(map.meta.scenario_name) + ": seeds " + std::to_string(map.meta.seeds.range.first) + ".." +
         std::to_string(map.meta.seeds.range.last) + " (" + std::to_string(per_cell) + " per cell), strategy " +
         xml_escape(map.meta.strategy.name) + (map.meta.uncertain ? ", other uncertain parameters drawn per seed" : "");
}

std::string value_of(const PlanCell& cell, const std::string& pointer) {
  for (const scenarios::Override& item : cell.point) {
    if (item.pointer == pointer) return item.value;
  }
  return "";
}

void open_svg(std::ostringstream& out, int width, int height) {
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "  <rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height << "\" fill=\"white\"/>\n";
}

// An interval bar from low to high at x (rates, drawn on the y axis of the chart).
void interval(std::ostringstream& out, double x, double y_low, double y_high, const char* colour) {
  out << "    <line x1=\"" << num(x) << "\" y1=\"" << num(y_low) << "\" x2=\"" << num(x) << "\" y2=\"" << num(y_high)
      << "\" stroke=\"" << colour << "\" stroke-width=\"1.5\"/>\n";
  for (double y : {y_low, y_high}) {
    out << "    <line x1=\"" << num(x - 4) << "\" y1=\"" << num(y) << "\" x2=\"" << num(x + 4) << "\" y2=\"" << num(y)
        << "\" stroke=\"" << colour << "\" stroke-width=\"1.5\"/>\n";
  }
}

std::string rate_chart(const MapDocument& map) {
  const std::string& pointer = map.vary.front().pointer;
  // Cells in the order of their value (a points map draws them at random): numbers by value.
  std::vector<std::size_t> order(map.cells.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto numeric = [](const std::string& text, double& out) {
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return !text.empty() && end != nullptr && *end == '\0';
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    double x = 0;
    double y = 0;
    const std::string va = value_of(map.cells[a], pointer);
    const std::string vb = value_of(map.cells[b], pointer);
    if (numeric(va, x) && numeric(vb, y)) return x < y;
    return false;
  });
  const int n = static_cast<int>(order.size());
  const int left = 80;
  const int top = 60;
  const int plot_h = 300;
  const int step = 70;
  const int plot_w = std::max(360, step * n);
  const int width = left + plot_w + 40;
  const int height = top + plot_h + 110;
  std::ostringstream out;
  open_svg(out, width, height);
  out << "  <text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
      << title(map) << "</text>\n";
  auto y_of = [&](double rate) { return top + plot_h - rate * plot_h; };
  // The y axis: share of runs, gridlines every 20%.
  out << "  <g id=\"y-axis\">\n";
  for (int tick = 0; tick <= 100; tick += 20) {
    const double y = y_of(tick / 100.0);
    out << "    <line x1=\"" << left << "\" y1=\"" << num(y) << "\" x2=\"" << left + plot_w << "\" y2=\"" << num(y)
        << "\" stroke=\"#dddddd\"/>\n"
        << "    <text x=\"" << left - 8 << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">" << tick << "%</text>\n";
  }
  out << "    <text transform=\"translate(22," << top + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << "share of runs (95% Wilson interval)</text>\n  </g>\n";
  out << "  <line x1=\"" << left << "\" y1=\"" << top + plot_h << "\" x2=\"" << left + plot_w << "\" y2=\"" << top + plot_h
      << "\" stroke=\"black\"/>\n";
  out << "  <line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << top + plot_h
      << "\" stroke=\"black\"/>\n";
  const double slot = static_cast<double>(plot_w) / n;
  out << "  <g id=\"cells\">\n";
  for (int i = 0; i < n; ++i) {
    const std::size_t c = order[static_cast<std::size_t>(i)];
    const SweepSummary& summary = map.summaries[c];
    const double x = left + slot * (i + 0.5);
    const FailureRate outcome = failure_rate(summary.outcome_failing, summary.runs);
    const FailureRate any = failure_rate(summary.failing, summary.runs);
    out << "    <text x=\"" << num(x) << "\" y=\"" << top + plot_h + 18 << "\" text-anchor=\"middle\">"
        << label(value_of(map.cells[c], pointer)) << "</text>\n";
    interval(out, x + 9, y_of(any.low), y_of(any.high), "#888888");
    out << "    <rect x=\"" << num(x + 5) << "\" y=\"" << num(y_of(any.value) - 4) << "\" width=\"8\" height=\"8\" "
        << "fill=\"white\" stroke=\"#888888\" stroke-width=\"1.5\"/>\n";
    interval(out, x - 5, y_of(outcome.low), y_of(outcome.high), "#b2182b");
    out << "    <circle cx=\"" << num(x - 5) << "\" cy=\"" << num(y_of(outcome.value)) << "\" r=\"4.5\" fill=\"#b2182b\"/>\n";
    out << "    <text x=\"" << num(x - 5) << "\" y=\"" << num(y_of(outcome.high) - 7) << "\" text-anchor=\"middle\" "
        << "font-size=\"10\">" << summary.outcome_failing << "/" << summary.runs << "</text>\n";
  }
  out << "  </g>\n";
  out << "  <text x=\"" << left + plot_w / 2 << "\" y=\"" << top + plot_h + 42 << "\" text-anchor=\"middle\" "
      << "font-weight=\"bold\">" << xml_escape(pointer) << "</text>\n";
  // The legend, under the axis label.
  const int ly = top + plot_h + 66;
  out << "  <g id=\"legend\">\n"
      << "    <circle cx=\"" << left + 6 << "\" cy=\"" << ly << "\" r=\"4.5\" fill=\"#b2182b\"/>\n"
      << "    <text x=\"" << left + 16 << "\" y=\"" << ly + 4 << "\">failing outcome (outcome_failure_rate; "
      << "label: runs with an outcome other than pass / runs)</text>\n"
      << "    <rect x=\"" << left + 2 << "\" y=\"" << ly + 16 << "\" width=\"8\" height=\"8\" fill=\"white\" "
      << "stroke=\"#888888\" stroke-width=\"1.5\"/>\n"
      << "    <text x=\"" << left + 16 << "\" y=\"" << ly + 24 << "\">failing outcome or finding (failure_rate)</text>\n"
      << "  </g>\n</svg>\n";
  return out.str();
}

std::string heatmap(const MapDocument& map) {
  const std::string& x_pointer = map.vary[0].pointer;
  const std::string& y_pointer = map.vary[1].pointer;
  std::vector<std::string> xs;
  std::vector<std::string> ys;
  std::map<std::pair<std::string, std::string>, std::size_t> at;
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    const std::string x = value_of(map.cells[c], x_pointer);
    const std::string y = value_of(map.cells[c], y_pointer);
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
    if (std::find(ys.begin(), ys.end(), y) == ys.end()) ys.push_back(y);
    at[{x, y}] = c;
  }
  const int cw = 84;
  const int ch = 48;
  const int left = 110;
  const int top = 60;
  const int grid_w = cw * static_cast<int>(xs.size());
  const int grid_h = ch * static_cast<int>(ys.size());
  const int legend_x = left + grid_w + 40;
  const int width = std::max(legend_x + 150, 520);
  const int height = top + std::max(grid_h, 220) + 80;
  std::ostringstream out;
  open_svg(out, width, height);
  out << "  <defs>\n    <linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n"
      << "      <stop offset=\"0\" stop-color=\"" << shade(0) << "\"/>\n"
      << "      <stop offset=\"1\" stop-color=\"" << shade(1) << "\"/>\n"
      << "    </linearGradient>\n  </defs>\n";
  out << "  <text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
      << title(map) << "</text>\n";
  out << "  <g id=\"cells\">\n";
  for (std::size_t yi = 0; yi < ys.size(); ++yi) {
    for (std::size_t xi = 0; xi < xs.size(); ++xi) {
      const int x = left + cw * static_cast<int>(xi);
      // The first value of the second parameter at the bottom, as on a chart.
      const int y = top + ch * static_cast<int>(ys.size() - 1 - yi);
      auto it = at.find({xs[xi], ys[yi]});
      if (it == at.end()) continue;
      const SweepSummary& summary = map.summaries[it->second];
      const FailureRate rate = failure_rate(summary.outcome_failing, summary.runs);
      const char* ink = rate.value > 0.55 ? "white" : "black";
      out << "    <rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << cw << "\" height=\"" << ch << "\" fill=\""
          << shade(rate.value) << "\" stroke=\"#999999\"/>\n"
          << "    <text x=\"" << x + cw / 2 << "\" y=\"" << y + 20 << "\" text-anchor=\"middle\" fill=\"" << ink << "\">"
          << summary.outcome_failing << "/" << summary.runs << "</text>\n"
          << "    <text x=\"" << x + cw / 2 << "\" y=\"" << y + 36 << "\" text-anchor=\"middle\" font-size=\"10\" fill=\""
          << ink << "\">" << percent(rate.value) << " (" << percent(rate.low) << "-" << percent(rate.high) << ")</text>\n";
    }
  }
  out << "  </g>\n  <g id=\"axes\">\n";
  for (std::size_t xi = 0; xi < xs.size(); ++xi) {
    out << "    <text x=\"" << left + cw * static_cast<int>(xi) + cw / 2 << "\" y=\"" << top + grid_h + 18
        << "\" text-anchor=\"middle\">" << label(xs[xi]) << "</text>\n";
  }
  for (std::size_t yi = 0; yi < ys.size(); ++yi) {
    out << "    <text x=\"" << left - 8 << "\" y=\"" << top + ch * static_cast<int>(ys.size() - 1 - yi) + ch / 2 + 4
        << "\" text-anchor=\"end\">" << label(ys[yi]) << "</text>\n";
  }
  out << "    <text x=\"" << left + grid_w / 2 << "\" y=\"" << top + grid_h + 42 << "\" text-anchor=\"middle\" "
      << "font-weight=\"bold\">" << xml_escape(x_pointer) << "</text>\n"
      << "    <text transform=\"translate(24," << top + grid_h / 2 << ") rotate(-90)\" text-anchor=\"middle\" "
      << "font-weight=\"bold\">" << xml_escape(y_pointer) << "</text>\n  </g>\n";
  // The legend: the shade scale and what the numbers in a cell are.
  out << "  <g id=\"legend\">\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top - 8 << "\" font-weight=\"bold\">failing outcome</text>\n"
      << "    <rect x=\"" << legend_x << "\" y=\"" << top << "\" width=\"18\" height=\"160\" fill=\"url(#scale)\" "
      << "stroke=\"#999999\"/>\n";
  for (int tick = 0; tick <= 100; tick += 25) {
    out << "    <text x=\"" << legend_x + 24 << "\" y=\"" << top + 160 - tick * 160 / 100 + 4 << "\">" << tick << "%</text>\n";
  }
  out << "    <text x=\"" << legend_x << "\" y=\"" << top + 184 << "\" font-size=\"10\">cell: runs with an outcome</text>\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top + 197 << "\" font-size=\"10\">other than pass / runs,</text>\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top + 210 << "\" font-size=\"10\">rate (95% Wilson)</text>\n"
      << "  </g>\n</svg>\n";
  return out.str();
}

}  // namespace

std::string map_to_svg(const MapDocument& map) {
  if (map.vary.size() == 1) return rate_chart(map);
  if (map.vary.size() == 2 && map.mode == "grid") return heatmap(map);
  throw std::invalid_argument("--svg draws a map over one parameter, or a grid over two (this map varies " +
                              std::to_string(map.vary.size()) + " parameters" +
                              (map.mode == "points" ? " at random points" : "") + ")");
}

}  // namespace ptosim::replay
