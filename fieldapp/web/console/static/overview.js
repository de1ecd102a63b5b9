// Overview (概览): this month's visit rate beside last month's, the monthly trend, overdue and
// review-queue counts, and the 12345-style issue figures, each from the API for the caller's
// scope and each a link to its detail page.

import { api, el, monthOf, percent, start, t, today, vendorModule } from "./console.js";

function figure(key, label, value, href, { sub = null, alert = false } = {}) {
  return el("a", { class: `figure${alert ? " alert" : ""}`, href, dataset: { figure: key } },
    el("div", { class: "label" }, label),
    el("div", { class: "value" }, value),
    sub ? el("div", { class: "sub" }, sub) : null);
}

async function drawTrend(series) {
  const box = document.getElementById("trend-chart");
  const { default: uPlot } = await vendorModule("uplot");
  const x = series.map((_, i) => i);
  const rates = series.map((p) => (p.rate === null ? null : Math.round(p.rate * 1000) / 10));
  box.dataset.points = JSON.stringify(series.map((p) => [p.period, p.rate]));
  new uPlot({
    width: Math.max(320, box.clientWidth - 20), height: 240,
    scales: { x: { time: false }, y: { range: [0, 100] } },
    axes: [
      { values: (u, ticks) => ticks.map((i) => series[i]?.period ?? ""), incrs: [1] },
      { values: (u, ticks) => ticks.map((v) => `${v}%`), size: 50 },
    ],
    series: [{}, { label: t("console.visit_rate"), stroke: "#1a4f8b", width: 2,
      fill: "rgba(26,79,139,0.08)", points: { size: 7 } }],
    legend: { show: false },
  }, [x, rates], box);
}

function unitTable(report) {
  const period = report.period.label;
  const rows = report.rows.map((r) => el("tr", {},
    el("td", {}, el("a", { href: r.group === report.org_unit_id ? `visit-rate?period=${period}`
      : `visit-rate?period=${period}&org_unit_id=${r.group}&group_by=user` }, r.label)),
    el("td", { class: "num" }, r.due), el("td", { class: "num" }, r.met),
    el("td", { class: "num" }, percent(r.rate))));
  return el("table", { class: "data" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("console.col_group")),
      el("th", { scope: "col", class: "num" }, t("console.col_due")),
      el("th", { scope: "col", class: "num" }, t("console.col_met")),
      el("th", { scope: "col", class: "num" }, t("console.col_rate")))),
    el("tbody", {}, rows));
}

async function render() {
  const day = today();
  const now = monthOf(day);
  const before = monthOf(day, -1);
  // The first report may write the period's slots (the API extends its horizon): let it finish
  // before the others ask, so two requests never extend at the same moment.
  const current = await api("/stats/visit-rate", { query: { period: now } });
  // Last month's rate is a point of the trend (the same figure as its report's total), so no
  // second report is asked for: a province's month of visits is the report's costliest part.
  const [trend, overdue, queue, issues, lateIssues] = await Promise.all([
    api("/stats/visit-rate/trend", { query: { from: monthOf(day, -5), to: now, every: "month" } }),
    api("/stats/overdue", { query: { count: "true" } }),
    api("/visits", { query: { status: "needs_review", page_size: 1 } }),
    api("/stats/issues", { query: { period: now } }),
    api("/issues", { query: { overdue: "true", page_size: 1 } }),
  ]);
  document.getElementById("overview-period").textContent =
    t("console.overview_period", { period: now, previous: before });
  const c = current.total;
  const previous = trend.series.find((p) => p.period === before);
  document.getElementById("visit-figures").replaceChildren(
    figure("visit_rate", t("console.visit_rate_this_month"), percent(c.rate), `visit-rate?period=${now}`,
      { sub: t("console.previous_month", { rate: percent(previous?.rate) }) }),
    figure("due", t("console.col_due"), c.due, `visit-rate?period=${now}`,
      { sub: t("console.met_pending", { met: c.met, pending: c.pending }) }),
    figure("overdue", t("console.overdue_now"), overdue.count, "overdue",
      { alert: overdue.count > 0 }),
    figure("review_queue", t("console.review_queue"), queue.total, "review",
      { alert: queue.total > 0 }));
  const i = issues.total;
  document.getElementById("issue-figures").replaceChildren(
    figure("submitted", t("console.issues_submitted"), i.submitted, "dispatch"),
    figure("resolution_rate", t("console.resolution_rate"), percent(i.resolution_rate), "dispatch"),
    figure("on_time_response_rate", t("console.on_time_response"), percent(i.on_time_response_rate),
      "dispatch"),
    figure("on_time_resolution_rate", t("console.on_time_resolution"),
      percent(i.on_time_resolution_rate), "dispatch"),
    figure("satisfaction_rate", t("console.satisfaction"), percent(i.satisfaction_rate), "dispatch"),
    figure("issues_overdue", t("console.issues_overdue_now"), lateIssues.total, "dispatch?overdue=1",
      { alert: lateIssues.total > 0 }));
  document.getElementById("unit-table").replaceChildren(unitTable(current));
  await drawTrend(trend.series);
}

start(render);
