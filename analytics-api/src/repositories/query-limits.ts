/**
 * Appended to every read query. In embedded mode the engine runs one statement at a time per process,
 * so a runaway analytics query would also hold back ingest's inserts; the cap bounds that.
 */
export const READ_QUERY_SETTINGS = "max_execution_time = 20";
