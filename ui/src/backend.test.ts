// Errors from commands: the page branches on the generated `code`, never on a message.
import { describe, expect, it } from "vitest";
import { commandError, errorText, refusalOverridable } from "./backend";

describe("command errors", () => {
  it("keeps the core's {code, message, details} as they came", () => {
    const refused = { code: "refused", message: "exchange_api is already closed", details: { refusal: "already_in_state", overridable: true } };
    expect(commandError(refused)).toBe(refused);
    expect(refusalOverridable(refused)).toBe(true);
    expect(errorText(refused)).toBe("exchange_api is already closed");
  });

  it("offers an override just for an overridable refusal", () => {
    expect(refusalOverridable({ code: "refused", message: "busy", details: { refusal: "in_flight", overridable: false } })).toBe(false);
    expect(refusalOverridable({ code: "no_engine", message: "nothing runs" })).toBe(false);
  });

  it("turns anything else into `unexpected` with its text", () => {
    expect(commandError("command watch_actions not found")).toEqual({ code: "unexpected", message: "command watch_actions not found" });
    expect(commandError(new Error("IPC down")).message).toBe("IPC down");
    expect(commandError({ code: 7, message: "odd" }).code).toBe("unexpected");
  });
});
