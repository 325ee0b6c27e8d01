import { defineErrors } from '../http/errors.js';

/** The MCP endpoint's own refusals (tool calls answer the HTTP operations' errors). */
export const McpErrors = defineErrors({
  METHOD_NOT_ALLOWED: { status: 405, message: 'The MCP endpoint is stateless: send each JSON-RPC message with POST /mcp.' },
  NOT_ACCEPTABLE: { status: 406, message: 'Send Accept: application/json, text/event-stream to POST /mcp.' },
});
