/** A minimal HTTP client for the client-server API, for tests that check exact requests and answers. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    public accessToken?: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string | null; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const token = options.token === null ? undefined : (options.token ?? this.accessToken);
    if (token) headers["authorization"] = `Bearer ${token}`;
    let payload: string | Buffer | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : {};
    } catch {
      // not JSON: leave the text for the assertion to show
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = Record<string, unknown>>(path: string, options?: { token?: string | null }): Promise<ApiResponse<T>> {
    return this.request<T>("GET", path, undefined, options);
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, options?: { token?: string | null }): Promise<ApiResponse<T>> {
    return this.request<T>("POST", path, body ?? {}, options);
  }

  put<T = Record<string, unknown>>(path: string, body?: unknown, options?: { token?: string | null }): Promise<ApiResponse<T>> {
    return this.request<T>("PUT", path, body ?? {}, options);
  }

  delete<T = Record<string, unknown>>(path: string, body?: unknown, options?: { token?: string | null }): Promise<ApiResponse<T>> {
    return this.request<T>("DELETE", path, body, options);
  }

  /** Registers (open registration with the dummy stage) and keeps the access token. */
  async register(username: string, password = "correct horse battery"): Promise<{ user_id: string; access_token: string; device_id: string }> {
    const first = await this.post("/_matrix/client/v3/register", { username, password }, { token: null });
    if (first.status !== 401) throw new Error(`register ${username}: expected 401, got ${first.status} ${JSON.stringify(first.body)}`);
    const session = first.body["session"] as string;
    const done = await this.post<{ user_id: string; access_token: string; device_id: string }>(
      "/_matrix/client/v3/register",
      { username, password, auth: { type: "m.login.dummy", session } },
      { token: null },
    );
    if (done.status !== 200) throw new Error(`register ${username}: ${done.status} ${JSON.stringify(done.body)}`);
    this.accessToken = done.body.access_token;
    return done.body;
  }
}

/** A client for each name, registered as that user in order (the usual start of a client test). */
export async function registeredClients<const Names extends readonly string[]>(baseUrl: string, ...names: Names): Promise<{ -readonly [K in keyof Names]: ApiClient }> {
  const clients: ApiClient[] = [];
  for (const name of names) {
    const client = new ApiClient(baseUrl);
    await client.register(name);
    clients.push(client);
  }
  return clients as { -readonly [K in keyof Names]: ApiClient };
}
