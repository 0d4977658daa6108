// The token the console signs in with, and who it acts as. The token stays in this browser's
// localStorage only: it is sent to Patrol's API and nowhere else.
import type { Role } from "./generated/graphql";

const STORAGE_KEY = "patrol.token";

export type Principal = { name: string; role: Role };

const RANK: Record<Role, number> = { VIEWER: 0, EDITOR: 1, ADMIN: 2 };

class Session {
  token = $state<string | null>(localStorage.getItem(STORAGE_KEY));
  principal = $state<Principal | null>(null);

  signIn(token: string | null, principal: Principal): void {
    this.token = token;
    this.principal = principal;
    if (token) localStorage.setItem(STORAGE_KEY, token);
    else localStorage.removeItem(STORAGE_KEY);
  }

  signOut(): void {
    this.token = null;
    this.principal = null;
    localStorage.removeItem(STORAGE_KEY);
  }

  /** Whether the signed-in role may do what `needed` may: buttons appear only then. */
  can(needed: Role): boolean {
    return this.principal !== null && RANK[this.principal.role] >= RANK[needed];
  }
}

export const session = new Session();
