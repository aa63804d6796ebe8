import { stepTab, tabFromHash } from "../src/tabs.ts";

describe("tabs", () => {
  test("the URL hash picks the tab, in any case and with or without a slash", () => {
    expect(["#work", "#/History", "#CAPACITY", "#fleet"].map(tabFromHash)).toEqual(["work", "history", "capacity", "fleet"]);
  });

  test("an empty or unknown hash opens Fleet", () => {
    expect(["", "#", "#nope"].map(tabFromHash)).toEqual(["fleet", "fleet", "fleet"]);
  });

  test("arrow keys step through the tabs and wrap around", () => {
    expect([stepTab("fleet", 1), stepTab("history", 1), stepTab("fleet", -1), stepTab("work", -1)]).toEqual(["capacity", "fleet", "history", "capacity"]);
  });
});
