// Theme and header, then the pages' content, then the management pages (each file under 300 lines).
import "./styles/base.css";
import "./styles/content.css";
import "./styles/manage.css";
import { h, mount } from "./dom.ts";
import { applyTheme, layout } from "./layout.ts";
import { breakdownsPage } from "./pages/breakdowns.ts";
import { configsPage } from "./pages/configs.ts";
import { guardrailsPage } from "./pages/guardrails.ts";
import { limitsPage } from "./pages/limits.ts";
import { limitsManagePanel } from "./pages/limits-manage.ts";
import { logPage } from "./pages/log.ts";
import { overviewPage } from "./pages/overview.ts";
import { playgroundPage } from "./pages/playground.ts";
import { promptsPage } from "./pages/prompts.ts";
import { requestPage } from "./pages/request.ts";
import { tracePage } from "./pages/trace.ts";
import { virtualKeysPage } from "./pages/virtual-keys.ts";
import {
  BASE,
  currentParams,
  filtersOf,
  metadataFiltersOf,
  navigate,
  onNavigate,
  routeOf,
  timeRangeOf,
} from "./state.ts";
import { app } from "./ui.ts";

const TITLES = {
  overview: "Overview",
  breakdowns: "Breakdowns",
  log: "Request log",
  prompts: "Prompts",
  playground: "Prompt playground",
  limits: "Limits",
  "virtual-keys": "Virtual keys",
  configs: "Saved configs",
  guardrails: "Saved guardrails",
  request: "Request",
  trace: "Trace",
  not_found: "Not found",
};

function render(): void {
  const root = document.getElementById("app")!;
  const route = routeOf(location.pathname);
  const params = currentParams();
  const range = timeRangeOf(params);
  const filters: Record<string, string> = { ...filtersOf(params), ...metadataFiltersOf(params) };
  let content: HTMLElement;
  switch (route.page) {
    case "overview":
      content = h("div", null, h("h1", null, "Overview"), overviewPage({ range, filters }));
      break;
    case "breakdowns":
      content = h("div", null, h("h1", null, "Breakdowns"), breakdownsPage({ range, filters, params }));
      break;
    case "log":
      content = h("div", null, h("h1", null, "Request log"), logPage({ range, filters, params }));
      break;
    case "prompts":
      content = h("div", null, h("h1", null, "Prompts"), promptsPage({ range, filters }));
      break;
    case "playground":
      content = h("div", null, h("h1", null, "Prompt playground"), playgroundPage({ params }));
      break;
    case "limits":
      content = h(
        "div",
        null,
        h("h1", null, "Limits"),
        limitsPage({ tenant: params.get("tenant_id") ?? undefined }),
        limitsManagePanel(params.get("tenant_id") ?? undefined),
      );
      break;
    case "virtual-keys":
      content = h(
        "div",
        null,
        h("h1", null, "Virtual keys"),
        virtualKeysPage({ tenant: params.get("tenant_id") ?? undefined }),
      );
      break;
    case "configs":
      content = h(
        "div",
        null,
        h("h1", null, "Saved configs"),
        configsPage({ tenant: params.get("tenant_id") ?? undefined, params }),
      );
      break;
    case "guardrails":
      content = h(
        "div",
        null,
        h("h1", null, "Saved guardrails"),
        guardrailsPage({ tenant: params.get("tenant_id") ?? undefined }),
      );
      break;
    case "request":
      content = requestPage(route.id!);
      break;
    case "trace":
      content = tracePage(route.id!);
      break;
    default:
      content = h(
        "div",
        { role: "alert" },
        h("h1", null, "Page not found"),
        h("p", null, h("a", { href: `${BASE}/` }, "Back to the overview")),
      );
  }
  document.title = `${TITLES[route.page]} · Switchyard console`;
  // A control that changed the URL keeps the keyboard focus across the re-render.
  const focusedId = document.activeElement?.id;
  mount(root, layout(route.page, range, params, content));
  if (focusedId) document.getElementById(focusedId)?.focus();
}

// In-app links navigate without reloading; modified clicks (new tab, ...) keep the browser's behaviour.
document.addEventListener("click", (event) => {
  const link = (event.target as Element).closest?.("a");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const href = link.getAttribute("href");
  if (!href?.startsWith(`${BASE}/`) || link.hasAttribute("download")) return;
  event.preventDefault();
  navigate(href);
  document.getElementById("main")?.focus();
});

applyTheme();
app.rerender = render;
onNavigate(render);
render();
