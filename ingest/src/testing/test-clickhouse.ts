export { openTestClickHouse, type TestClickHouse } from "@switchyard/platform/testing";
