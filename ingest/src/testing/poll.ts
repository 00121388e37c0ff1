export { pollUntil } from "@switchyard/platform/testing";
