// @switchyard/analytics-api/testing: what scripts and tests in other packages may use from the analytics API
// (the trace probe in test/bench runs the repository's statements straight on the engine). They import it
// through this export, never by a relative path into analytics-api/src.
export { traceIndexSql, traceKeysSql, traceSql } from "../repositories/traces-repository.ts";
