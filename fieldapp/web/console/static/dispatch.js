// Dispatch desk (诉求调度) for dispatchers (admins, managers in their subtree): queues by state,
// accept, reject, merge, dispatch, supervise, close, call back — whatever the API allows.
import { start } from "./console.js";
import { startDesk } from "./issue-desk.js";

start(() => startDesk([
  { key: "submitted", query: { state: "submitted" } },
  { key: "accepted", query: { state: "accepted" } },
  { key: "dispatched", query: { state: "dispatched" } },
  { key: "in_progress", query: { state: "in_progress" } },
  { key: "suspended", query: { state: "suspended" } },
  { key: "resolved", query: { state: "resolved" } },
  { key: "overdue", query: { overdue: "true" } },
  { key: "all", query: {} },
]));
