// Drives one of Roster's link pages in Debian's headless Chromium, as a person would: finds the
// controls by their accessible names, types, presses the button, reads what the page says.
// Called by the Rust browser tests (crates/roster/tests/api/browser.rs), which set up the app
// and check its state; prints "ok" or throws.
//
//   node links.mjs verify URL PROFILE_URL BEARER   opening verifies nothing; the button does
//   node links.mjs confirm URL PROFILE_URL BEARER ADDRESS   the same for an added address
//   node links.mjs reset  URL NEW_PASSWORD         the form's checks, then a new password
//   node links.mjs invite URL NEW_PASSWORD         the same form accepts an invitation
import { check, launch } from "./common.mjs";

const [mode, url, ...rest] = process.argv.slice(2);

const browser = await launch();

// Whether the user's sign-in address (or `address`, one of its others) is verified.
async function verified(profileUrl, bearer, address) {
  const response = await fetch(profileUrl, { headers: { authorization: `Bearer ${bearer}` } });
  check(response.ok, `profile: ${response.status}`);
  const user = await response.json();
  if (address === undefined) return user.email_verified;
  const email = user.emails.find((e) => e.address === address);
  check(email !== undefined, `${address} is not among the user's addresses`);
  return email.verified;
}

try {
  const page = await browser.newPage();
  const problems = [];
  // Anything the Content-Security-Policy blocks, or any error of the page, fails the test (a form
  // answered 422 with its errors is logged as a failed load: that one is expected).
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/.test(message.text())) {
      problems.push(message.text());
    }
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  const opened = await page.goto(url);
  check(opened.status() === 200, `GET ${url}: ${opened.status()}`);
  const csp = opened.headers()["content-security-policy"] || "";
  check(csp.startsWith("default-src 'self'"), `CSP: ${csp}`);

  if (mode === "verify" || mode === "confirm") {
    const [profileUrl, bearer, address] = rest;
    const name = mode === "verify" ? "Verify email" : "Confirm email";
    const button = page.getByRole("button", { name });
    await button.waitFor();
    check((await verified(profileUrl, bearer, address)) === false, "opening the link verified the address");
    await page.reload();
    check((await verified(profileUrl, bearer, address)) === false, "reopening the link verified the address");
    await button.click();
    const done = mode === "verify" ? "Your email address is verified" : "Your email address is confirmed";
    await page.getByText(done).waitFor();
    check((await verified(profileUrl, bearer, address)) === true, "the button did not verify the address");
  } else if (mode === "reset" || mode === "invite") {
    const [password] = rest;
    const name = mode === "reset" ? "Set password" : "Accept invitation";
    const fill = async (first, second) => {
      await page.getByLabel("New password").fill(first);
      await page.getByLabel("Confirm password").fill(second);
      await page.getByRole("button", { name }).click();
    };
    await fill("too short", "too short");
    const policy = page.locator("#new_password_error");
    await policy.waitFor();
    check((await page.getByLabel("New password").getAttribute("aria-invalid")) === "true", "the field is not marked");
    check(/characters/.test(await policy.textContent()), `policy error: ${await policy.textContent()}`);
    await fill(password, password + " but not quite");
    await page.getByText("The two passwords are not the same.").waitFor();
    await fill(password, password);
    const done = mode === "reset" ? "Your password is set" : "Your account is ready";
    await page.getByText(done).waitFor();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  check(problems.length === 0, `the page reported errors: ${problems.join("; ")}`);
  console.log("ok");
} finally {
  await browser.close();
}
