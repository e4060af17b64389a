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

// Cells in the order of their value (a points map draws them at random): numbers by value.
std::vector<std::size_t> cells_by_value(const MapDocument& map, const std::string& pointer) {
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
  return order;
}

// The frame of a rate chart: where the plot sits and how a rate maps to a y coordinate.
struct RateFrame {
  int left = 80;
  int top = 60;
  int plot_h = 300;
  int plot_w = 360;
  double y_of(double rate) const { return top + plot_h - rate * plot_h; }
};

void rate_axes(std::ostringstream& out, const RateFrame& frame) {
  const int left = frame.left;
  const int top = frame.top;
  // The y axis: share of runs, gridlines every 20%.
  out << "  <g id=\"y-axis\">\n";
  for (int tick = 0; tick <= 100; tick += 20) {
    const double y = frame.y_of(tick / 100.0);
    out << "    <line x1=\"" << left << "\" y1=\"" << num(y) << "\" x2=\"" << left + frame.plot_w << "\" y2=\"" << num(y)
        << "\" stroke=\"#dddddd\"/>\n"
        << "    <text x=\"" << left - 8 << "\" y=\"" << num(y + 4) << "\" text-anchor=\"end\">" << tick << "%</text>\n";
  }
  out << "    <text transform=\"translate(22," << top + frame.plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << "share of runs (95% Wilson interval)</text>\n  </g>\n";
  out << "  <line x1=\"" << left << "\" y1=\"" << top + frame.plot_h << "\" x2=\"" << left + frame.plot_w << "\" y2=\""
      << top + frame.plot_h << "\" stroke=\"black\"/>\n";
  out << "  <line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\"" << top + frame.plot_h
      << "\" stroke=\"black\"/>\n";
}

// One cell of a rate chart at x: its value under the axis, both rates with their intervals.
void rate_cell(std::ostringstream& out, const RateFrame& frame, double x, const std::string& value,
               const SweepSummary& summary) {
  const FailureRate outcome = failure_rate(summary.outcome_failing, summary.runs);
  const FailureRate any = failure_rate(summary.failing, summary.runs);
  out << "    <text x=\"" << num(x) << "\" y=\"" << frame.top + frame.plot_h + 18 << "\" text-anchor=\"middle\">"
      << label(value) << "</text>\n";
  interval(out, x + 9, frame.y_of(any.low), frame.y_of(any.high), "#888888");
  out << "    <rect x=\"" << num(x + 5) << "\" y=\"" << num(frame.y_of(any.value) - 4) << "\" width=\"8\" height=\"8\" "
      << "fill=\"white\" stroke=\"#888888\" stroke-width=\"1.5\"/>\n";
  interval(out, x - 5, frame.y_of(outcome.low), frame.y_of(outcome.high), "#b2182b");
  out << "    <circle cx=\"" << num(x - 5) << "\" cy=\"" << num(frame.y_of(outcome.value))
      << "\" r=\"4.5\" fill=\"#b2182b\"/>\n";
  out << "    <text x=\"" << num(x - 5) << "\" y=\"" << num(frame.y_of(outcome.high) - 7) << "\" text-anchor=\"middle\" "
      << "font-size=\"10\">" << summary.outcome_failing << "/" << summary.runs << "</text>\n";
}

void rate_legend(std::ostringstream& out, const RateFrame& frame, const std::string& pointer) {
  const int left = frame.left;
  out << "  <text x=\"" << left + frame.plot_w / 2 << "\" y=\"" << frame.top + frame.plot_h + 42
      << "\" text-anchor=\"middle\" font-weight=\"bold\">" << xml_escape(pointer) << "</text>\n";
  // The legend, under the axis label.
  const int ly = frame.top + frame.plot_h + 66;
  out << "  <g id=\"legend\">\n"
      << "    <circle cx=\"" << left + 6 << "\" cy=\"" << ly << "\" r=\"4.5\" fill=\"#b2182b\"/>\n"
      << "    <text x=\"" << left + 16 << "\" y=\"" << ly + 4 << "\">failing outcome (outcome_failure_rate; "
      << "label: runs with an outcome other than pass / runs)</text>\n"
      << "    <rect x=\"" << left + 2 << "\" y=\"" << ly + 16 << "\" width=\"8\" height=\"8\" fill=\"white\" "
      << "stroke=\"#888888\" stroke-width=\"1.5\"/>\n"
      << "    <text x=\"" << left + 16 << "\" y=\"" << ly + 24 << "\">failing outcome or finding (failure_rate)</text>\n"
      << "  </g>\n</svg>\n";
}

std::string rate_chart(const MapDocument& map) {
  const std::string& pointer = map.vary.front().pointer;
  const std::vector<std::size_t> order = cells_by_value(map, pointer);
  const int n = static_cast<int>(order.size());
  RateFrame frame;
  const int step = 70;
  frame.plot_w = std::max(360, step * n);
  const int width = frame.left + frame.plot_w + 40;
  const int height = frame.top + frame.plot_h + 110;
  std::ostringstream out;
  open_svg(out, width, height);
  out << "  <text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
      << title(map) << "</text>\n";
  rate_axes(out, frame);
  const double slot = static_cast<double>(frame.plot_w) / n;
  out << "  <g id=\"cells\">\n";
  for (int i = 0; i < n; ++i) {
    const std::size_t c = order[static_cast<std::size_t>(i)];
    rate_cell(out, frame, frame.left + slot * (i + 0.5), value_of(map.cells[c], pointer), map.summaries[c]);
  }
  out << "  </g>\n";
  rate_legend(out, frame, pointer);
  return out.str();
}

// The layout of a heat map: one column per value of the first parameter, one row per value of the second.
struct HeatGrid {
  std::vector<std::string> xs;
  std::vector<std::string> ys;
  std::map<std::pair<std::string, std::string>, std::size_t> at;
  int cw = 84;
  int ch = 48;
  int left = 110;
  int top = 60;
  int width() const { return cw * static_cast<int>(xs.size()); }
  int height() const { return ch * static_cast<int>(ys.size()); }
  // The first value of the second parameter at the bottom, as on a chart.
  int row_y(std::size_t yi) const { return top + ch * static_cast<int>(ys.size() - 1 - yi); }
};

HeatGrid heat_grid(const MapDocument& map) {
  HeatGrid grid;
  for (std::size_t c = 0; c < map.cells.size(); ++c) {
    const std::string x = value_of(map.cells[c], map.vary[0].pointer);
    const std::string y = value_of(map.cells[c], map.vary[1].pointer);
    if (std::find(grid.xs.begin(), grid.xs.end(), x) == grid.xs.end()) grid.xs.push_back(x);
    if (std::find(grid.ys.begin(), grid.ys.end(), y) == grid.ys.end()) grid.ys.push_back(y);
    grid.at[{x, y}] = c;
  }
  return grid;
}

void heat_cells(std::ostringstream& out, const MapDocument& map, const HeatGrid& grid) {
  out << "  <g id=\"cells\">\n";
  for (std::size_t yi = 0; yi < grid.ys.size(); ++yi) {
    for (std::size_t xi = 0; xi < grid.xs.size(); ++xi) {
      const int x = grid.left + grid.cw * static_cast<int>(xi);
      const int y = grid.row_y(yi);
      auto it = grid.at.find({grid.xs[xi], grid.ys[yi]});
      if (it == grid.at.end()) continue;
      const SweepSummary& summary = map.summaries[it->second];
      const FailureRate rate = failure_rate(summary.outcome_failing, summary.runs);
      const char* ink = rate.value > 0.55 ? "white" : "black";
      out << "    <rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << grid.cw << "\" height=\"" << grid.ch
          << "\" fill=\"" << shade(rate.value) << "\" stroke=\"#999999\"/>\n"
          << "    <text x=\"" << x + grid.cw / 2 << "\" y=\"" << y + 20 << "\" text-anchor=\"middle\" fill=\"" << ink
          << "\">" << summary.outcome_failing << "/" << summary.runs << "</text>\n"
          << "    <text x=\"" << x + grid.cw / 2 << "\" y=\"" << y + 36
          << "\" text-anchor=\"middle\" font-size=\"10\" fill=\"" << ink << "\">" << percent(rate.value) << " ("
          << percent(rate.low) << "-" << percent(rate.high) << ")</text>\n";
    }
  }
  out << "  </g>\n";
}

void heat_axes(std::ostringstream& out, const MapDocument& map, const HeatGrid& grid) {
  out << "  <g id=\"axes\">\n";
  for (std::size_t xi = 0; xi < grid.xs.size(); ++xi) {
    out << "    <text x=\"" << grid.left + grid.cw * static_cast<int>(xi) + grid.cw / 2 << "\" y=\""
        << grid.top + grid.height() + 18 << "\" text-anchor=\"middle\">" << label(grid.xs[xi]) << "</text>\n";
  }
  for (std::size_t yi = 0; yi < grid.ys.size(); ++yi) {
    out << "    <text x=\"" << grid.left - 8 << "\" y=\"" << grid.row_y(yi) + grid.ch / 2 + 4
        << "\" text-anchor=\"end\">" << label(grid.ys[yi]) << "</text>\n";
  }
  out << "    <text x=\"" << grid.left + grid.width() / 2 << "\" y=\"" << grid.top + grid.height() + 42
      << "\" text-anchor=\"middle\" font-weight=\"bold\">" << xml_escape(map.vary[0].pointer) << "</text>\n"
      << "    <text transform=\"translate(24," << grid.top + grid.height() / 2 << ") rotate(-90)\" "
      << "text-anchor=\"middle\" font-weight=\"bold\">" << xml_escape(map.vary[1].pointer) << "</text>\n  </g>\n";
}

// The legend: the shade scale and what the numbers in a cell are.
void heat_legend(std::ostringstream& out, int legend_x, int top) {
  out << "  <g id=\"legend\">\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top - 8 << "\" font-weight=\"bold\">failing outcome</text>\n"
      << "    <rect x=\"" << legend_x << "\" y=\"" << top << "\" width=\"18\" height=\"160\" fill=\"url(#scale)\" "
      << "stroke=\"#999999\"/>\n";
  for (int tick = 0; tick <= 100; tick += 25) {
    out << "    <text x=\"" << legend_x + 24 << "\" y=\"" << top + 160 - tick * 160 / 100 + 4 << "\">" << tick
        << "%</text>\n";
  }
  out << "    <text x=\"" << legend_x << "\" y=\"" << top + 184 << "\" font-size=\"10\">cell: runs with an outcome</text>\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top + 197 << "\" font-size=\"10\">other than pass / runs,</text>\n"
      << "    <text x=\"" << legend_x << "\" y=\"" << top + 210 << "\" font-size=\"10\">rate (95% Wilson)</text>\n"
      << "  </g>\n</svg>\n";
}

std::string heatmap(const MapDocument& map) {
  const HeatGrid grid = heat_grid(map);
  const int legend_x = grid.left + grid.width() + 40;
  const int width = std::max(legend_x + 150, 520);
  const int height = grid.top + std::max(grid.height(), 220) + 80;
  std::ostringstream out;
  open_svg(out, width, height);
  out << "  <defs>\n    <linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\n"
      << "      <stop offset=\"0\" stop-color=\"" << shade(0) << "\"/>\n"
      << "      <stop offset=\"1\" stop-color=\"" << shade(1) << "\"/>\n"
      << "    </linearGradient>\n  </defs>\n";
  out << "  <text x=\"" << width / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">"
      << title(map) << "</text>\n";
  heat_cells(out, map, grid);
  heat_axes(out, map, grid);
  heat_legend(out, legend_x, grid.top);
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
