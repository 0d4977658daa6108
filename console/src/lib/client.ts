// One GraphQL client for the whole console: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws (graphql-ws), both carrying the session's token.
import { Client, fetchExchange, subscriptionExchange, type AnyVariables, type TypedDocumentNode } from "@urql/core";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { session } from "./session.svelte";

const endpoint = "/graphql";

function authorization(token: string | null): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function websocketUrl(): string {
  const url = new URL(endpoint, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

let sockets: WsClient | null = null;
let socketsToken: string | null = null;
const reconnectListeners = new Set<() => void>();

/** Calls `listener` each time the live connection comes back after a drop. What was published
 * meanwhile never reached the page, so a page that keeps live state reads it again. */
export function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

let live = false;
let liveWaiters: (() => void)[] = [];

/** Resolves once the live connection is up (at once if it is). A page that subscribes and then
 * reads what happened before reads after this: a read that answers while the socket is still
 * connecting leaves a gap in which an update reaches neither the read nor the subscription. */
export function whenLive(): Promise<void> {
  if (live) return Promise.resolve();
  return new Promise((resolve) => liveWaiters.push(resolve));
}

/** The websocket client for the current token: a new token (sign-in, sign-out) gets a new one. */
function socketsFor(token: string | null): WsClient {
  if (sockets === null || socketsToken !== token) {
    void sockets?.dispose();
    socketsToken = token;
    sockets = createWsClient({
      url: websocketUrl(),
      connectionParams: () => authorization(token),
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
    });
    sockets.on("connected", (_socket, _payload, wasRetry) => {
      live = true;
      const waiting = liveWaiters;
      liveWaiters = [];
      for (const resolve of waiting) resolve();
      if (wasRetry) for (const listener of reconnectListeners) listener();
    });
    sockets.on("closed", () => {
      live = false;
    });
  }
  return sockets;
}

export const client = new Client({
  url: endpoint,
  // Every answer is read fresh: the console shows what Patrol says now, and live updates refresh it.
  requestPolicy: "network-only",
  preferGetMethod: false,
  fetchOptions: () => ({ headers: authorization(session.token) }),
  exchanges: [
    fetchExchange,
    subscriptionExchange({
      forwardSubscription(request) {
        const input = { ...request, query: request.query || "" };
        return {
          subscribe(sink) {
            const unsubscribe = socketsFor(session.token).subscribe(input, sink);
            return { unsubscribe };
          },
        };
      },
    }),
  ],
});

/** A GraphQL error as the console shows it: its message, the field it names, its stable code. */
export type ApiError = { message: string; code: string | null; field: string | null };

export class ApiFailure extends Error {
  constructor(readonly errors: ApiError[]) {
    super(errors.map((error) => error.message).join("; "));
  }

  /** The message for one form field, if the API named it. */
  forField(field: string): string | null {
    return this.errors.find((error) => error.field === field)?.message ?? null;
  }
}

function failure(result: { error?: { graphQLErrors: readonly { message: string; extensions?: Record<string, unknown> }[]; networkError?: Error; message: string } }): ApiFailure {
  const error = result.error!;
  if (error.graphQLErrors.length === 0) {
    return new ApiFailure([{ message: error.networkError?.message ?? error.message, code: "NETWORK", field: null }]);
  }
  return new ApiFailure(
    error.graphQLErrors.map((each) => ({
      message: each.message,
      code: typeof each.extensions?.code === "string" ? each.extensions.code : null,
      field: typeof each.extensions?.field === "string" ? each.extensions.field : null,
    })),
  );
}

export async function query<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): Promise<Data> {
  const result = await client.query(document, variables).toPromise();
  if (result.error) throw failure(result);
  return result.data as Data;
}

export async function mutate<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
): Promise<Data> {
  const result = await client.mutation(document, variables).toPromise();
  if (result.error) throw failure(result);
  return result.data as Data;
}

/** Follows a subscription until the returned function is called; errors go to `onError`. */
export function subscribe<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  onData: (data: Data) => void,
  onError: (error: ApiFailure) => void = () => {},
): () => void {
  const { unsubscribe } = client.subscription(document, variables).subscribe((result) => {
    if (result.error) onError(failure(result));
    else if (result.data) onData(result.data as Data);
  });
  return unsubscribe;
}
