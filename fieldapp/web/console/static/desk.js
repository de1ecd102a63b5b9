// Department desk (部门办理) for handlers: the issues dispatched to my department — sign for,
// return with a reason, ask for suspension, resume, reply and resolve with a result code.
import { start } from "./console.js";
import { startDesk } from "./issue-desk.js";

start(() => startDesk([
  { key: "dispatched", query: { state: "dispatched" } },
  { key: "in_progress", query: { state: "in_progress" } },
  { key: "suspended", query: { state: "suspended" } },
  { key: "resolved", query: { state: "resolved" } },
  { key: "all", query: {} },
]));
