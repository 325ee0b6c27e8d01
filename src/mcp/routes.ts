import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyReply, FastifyRequest, InjectOptions, LightMyRequestResponse } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { INNER_CALL_HEADER, presentedKey } from '../auth/gate.js';
import { HttpErrors, type ApiError } from '../http/errors.js';
import { problems } from '../http/schemas.js';
import type { Api } from '../http/types.js';
import { version } from '../lib/version.js';
import { McpErrors } from './errors.js';
import { argumentsSchema, describe, splitArguments, TOOLS, TOOLS_BY_NAME, type HttpCall, type Tool } from './tools.js';

/** The SDK, loaded with the first MCP request: a process nobody reaches over MCP does not hold it. */
const loadSdk = (() => {
  let loaded: ReturnType<typeof load> | null = null;
  const load = async () => {
    const [server, transport, types, validation] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/index.js'),
      import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'),
      import('@modelcontextprotocol/sdk/types.js'),
      import('@modelcontextprotocol/sdk/validation/ajv'),
    ]);
    // One JSON Schema validator for every request's server (each would otherwise build its own Ajv:
    // most of the CPU of a tool call, measured).
    const jsonSchemaValidator = new validation.AjvJsonSchemaValidator();
    return { Server: server.Server, Transport: transport.WebStandardStreamableHTTPServerTransport, jsonSchemaValidator, ...types };
  };
  return () => (loaded ??= load());
})();
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

/** Makes a request through the whole app in-process (Fastify's inject), as the HTTP server would receive it. */
export type Inject = (options: InjectOptions) => Promise<LightMyRequestResponse>;

const INSTRUCTIONS =
  'FuncSpec keeps software specifications: organizations have projects, projects have spec items (functional F-n and technical T-n, ' +
  'with a Markdown description, a review state and an implementation status). Address projects by id or slug and items by id or ' +
  'permalink. To edit an item, read it (get_item) and pass its version; on VERSION_CONFLICT read it again and reapply. A failed call ' +
  "answers the HTTP API's problem: its error_code (FORBIDDEN: your role does not allow it; INSUFFICIENT_SCOPE: the key's scopes or " +
  'projects do not) and message.';

/** A JSON-RPC message (one per request: batches are refused, so each counts as one request against the key's limit). */
const JsonRpcMessage = z.looseObject({
  jsonrpc: z.literal('2.0'),
  method: z.string().max(200).optional(),
  id: z
    .union([z.string().max(200), z.number()])
    .nullable()
    .optional(),
});

/**
 * `POST /mcp`: a Model Context Protocol server over the Streamable HTTP transport, stateless (any process
 * behind a balancer answers any request), with JSON answers. The request is authenticated, counted and
 * recorded like any key-authenticated request; each tool call is then made as its HTTP request through the
 * app, with the caller's key and address, so roles, scopes, allow-lists and the audit log are the HTTP ones.
 */
export async function mcpRoutes(app: Api, _ctx: AppContext, inject: Inject): Promise<void> {
  app.post('/mcp', {
    config: { auth: 'api_key', scope: 'none' },
    schema: {
      tags: ['MCP'],
      summary: 'Model Context Protocol server (Streamable HTTP, stateless): tools for a spec workspace agent',
      description:
        'Authenticate with `X-API-Key` or `Authorization: Bearer`; send `Accept: application/json, text/event-stream`. One JSON-RPC ' +
        "message per request (each counts as one request against the key's limit); answers are JSON. Each tool call is the HTTP " +
        'operation it names, with the same roles, scopes, allow-lists and audit log; a refusal comes back as a tool error carrying ' +
        "the operation's problem (`error_code`, `message`, `details`). Tools:\n\n" +
        TOOLS.map((tool) => `- \`${tool.name}\` (scope \`${tool.scope}\`): ${tool.description}`).join('\n'),
      body: JsonRpcMessage,
      response: {
        200: z.unknown().meta({ description: 'The JSON-RPC response' }),
        202: z.null().meta({ description: 'A notification or response was accepted' }),
        ...problems(400, 401, 403, 406, 415, 422, 429),
      },
    },
    handler: async (request, reply) => {
      const sdk = await loadSdk();
      const transport = new sdk.Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      const server = toolServer(sdk, (call) => innerCall(inject, request, call));
      try {
        await server.connect(transport);
        const answer = await transport.handleRequest(asWebRequest(request), { parsedBody: request.body });
        return await relay(reply, answer);
      } finally {
        await server.close();
      }
    },
  });

  // Stateless: there is no stream to open and no session to end.
  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      schema: { hide: true },
      handler: async (_request, reply) => {
        reply.header('allow', 'POST');
        throw McpErrors.METHOD_NOT_ALLOWED({ allow: ['POST'] });
      },
    });
  }
}

/** An MCP server for one request: tools/list and tools/call (the HTTP routes validate the arguments). */
function toolServer(sdk: Sdk, call: (request: HttpCall) => Promise<{ status: number; body: unknown }>): Server {
  // The low-level Server rather than McpServer: McpServer would validate the arguments itself and answer in
  // its own words; here the operation's route does, so a bad argument is VALIDATION_FAILED as over HTTP.
  const server = new sdk.Server(
    { name: 'funcspec', title: 'FuncSpec', version: version() },
    {
      capabilities: { tools: {} },
      instructions: INSTRUCTIONS,
      jsonSchemaValidator: sdk.jsonSchemaValidator,
    },
  );
  server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools: toolList() }));
  server.setRequestHandler(sdk.CallToolRequestSchema, async (message) => {
    const tool = TOOLS_BY_NAME.get(message.params.name);
    if (!tool) throw new sdk.McpError(sdk.ErrorCode.InvalidParams, `No tool named ${message.params.name}; tools/list names them.`);
    return callTool(tool, message.params.arguments ?? {}, call);
  });
  return server;
}

/** What tools/list answers: the same for every caller, so built once. */
const toolList = (() => {
  let built: Array<Record<string, unknown> & { name: string; inputSchema: { type: 'object' } }> | null = null;
  return () =>
    (built ??= TOOLS.map((tool) => ({
      name: tool.name,
      title: tool.title,
      description: describe(tool),
      inputSchema: argumentsSchema(tool) as { type: 'object' },
      annotations: { title: tool.title, readOnlyHint: tool.readOnly, destructiveHint: tool.name === 'update_item', openWorldHint: false },
    })));
})();

async function callTool(
  tool: Tool,
  args: Record<string, unknown>,
  call: (request: HttpCall) => Promise<{ status: number; body: unknown }>,
): Promise<CallToolResult> {
  const split = splitArguments(tool, args);
  if (!split.ok) return toolError(problemOf(HttpErrors.VALIDATION_FAILED({ fields: split.fields })));
  const answer = await call(tool.request(split.target, split.fields));
  if (answer.status >= 400) return toolError(answer.body as Problem);
  const body = (answer.body ?? {}) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

interface Problem {
  status: number;
  error_code: string;
  message: string;
  details: Record<string, unknown>;
  request_id?: string;
}

function problemOf(error: ApiError): Problem {
  return { status: error.status, error_code: error.code, message: error.message, details: error.details };
}

/** A refusal as a tool error: the HTTP problem, in words first (with what to do about a stale version), then as data. */
function toolError(problem: Problem): CallToolResult {
  const current = problem.details?.current_version;
  const advice =
    problem.error_code === 'VERSION_CONFLICT'
      ? ` Read the item again with get_item${typeof current === 'number' ? ` (it is at version ${current})` : ''} and reapply your change with its current version.`
      : '';
  return {
    isError: true,
    content: [{ type: 'text', text: `${problem.error_code} (${problem.status}): ${problem.message}${advice}\n${JSON.stringify(problem)}` }],
    structuredContent: problem as unknown as Record<string, unknown>,
  };
}

/**
 * The tool call's HTTP request, made in-process with the caller's key, address, user agent and request id.
 * The MCP request it belongs to was counted and is recorded in the key's usage, so this one is not again
 * (INNER_CALL_HEADER); everything else (the key check, roles, scopes, allow-lists, audit) runs as for HTTP.
 */
async function innerCall(inject: Inject, outer: FastifyRequest, call: HttpCall): Promise<{ status: number; body: unknown }> {
  const userAgent = outer.headers['user-agent'];
  const response = await inject({
    method: call.method,
    url: `/api/v1${call.url}`,
    remoteAddress: outer.ip,
    headers: {
      'x-api-key': presentedKey(outer) ?? '',
      'x-request-id': outer.id,
      [INNER_CALL_HEADER]: '1',
      ...(typeof userAgent === 'string' ? { 'user-agent': userAgent } : {}),
      ...(call.body ? { 'content-type': 'application/json' } : {}),
      ...call.headers,
    },
    ...(call.body ? { payload: JSON.stringify(call.body) } : {}),
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
}

/** The parts of the request the transport reads (the body is handed over already parsed). */
function asWebRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const name of ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(new URL(request.url, 'http://mcp.invalid'), { method: request.method, headers });
}

/** Transport-level refusals (not JSON-RPC errors inside a 200) as the API's problems, by status. */
const TRANSPORT_REFUSALS: Record<number, (message: string, jsonrpc: unknown) => ApiError> = {
  406: (message, jsonrpc) => McpErrors.NOT_ACCEPTABLE({ jsonrpc_error: jsonrpc }, { message }),
  415: (_message, jsonrpc) => HttpErrors.UNSUPPORTED_MEDIA_TYPE({ jsonrpc_error: jsonrpc }),
};

/** Sends the transport's answer through Fastify (so its hooks, request id and rate-limit headers apply). */
async function relay(reply: FastifyReply, answer: Response): Promise<FastifyReply> {
  const text = await answer.text();
  if (answer.status >= 400) {
    const jsonrpc = text ? ((JSON.parse(text) as { error?: { message?: string } }).error ?? null) : null;
    const message = jsonrpc?.message ?? 'The MCP request was refused.';
    if (answer.status >= 500) throw HttpErrors.INTERNAL_ERROR();
    const refusal = TRANSPORT_REFUSALS[answer.status];
    throw refusal ? refusal(message, jsonrpc) : HttpErrors.BAD_REQUEST({ jsonrpc_error: jsonrpc }, { message });
  }
  reply.code(answer.status);
  if (!text) return reply.send();
  return reply.type(answer.headers.get('content-type') ?? 'application/json').send(text);
}
