// Hash routes (`#/checks/<id>`): every page has an address to bookmark or share, and the server
// needs to serve only `/`.
export type Route =
  | { page: "overview" }
  | { page: "check"; id: string }
  | { page: "run"; id: string }
  | { page: "new-check" }
  | { page: "clusters" }
  | { page: "alerts" }
  | { page: "not-found"; path: string };

export function parse(hash: string): Route {
  const [path = "", ...rest] = hash.replace(/^#/, "").split("?");
  void rest;
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case undefined:
      return { page: "overview" };
    case "checks":
      if (parts[1] === "new" && parts.length === 2) return { page: "new-check" };
      if (parts[1] && parts.length === 2) return { page: "check", id: parts[1] };
      break;
    case "runs":
      if (parts[1] && parts.length === 2) return { page: "run", id: parts[1] };
      break;
    case "clusters":
      if (parts.length === 1) return { page: "clusters" };
      break;
    case "alerts":
      if (parts.length === 1) return { page: "alerts" };
      break;
  }
  return { page: "not-found", path };
}

/** The query string of the current hash (`#/?status=FAILING`), for filters that belong in the address. */
export function hashParams(): URLSearchParams {
  const query = window.location.hash.split("?")[1] ?? "";
  return new URLSearchParams(query);
}

export const href = {
  overview: () => "#/",
  check: (id: string) => `#/checks/${encodeURIComponent(id)}`,
  run: (id: string) => `#/runs/${encodeURIComponent(id)}`,
  newCheck: () => "#/checks/new",
  clusters: () => "#/clusters",
  alerts: () => "#/alerts",
};

class Router {
  route = $state<Route>(parse(window.location.hash));

  constructor() {
    window.addEventListener("hashchange", () => {
      this.route = parse(window.location.hash);
    });
  }

  go(target: string): void {
    window.location.hash = target.replace(/^#/, "");
  }
}

export const router = new Router();
