// The fleet bench's count of bytes written to a file backend, from `strace -f -y` logs (pure).
import { strict as assert } from "assert";
import { writesUnder } from "../../bench/backendWrites";

/** Lines as strace 6.1 wrote them for `pulumi refresh` (shortened paths, same shapes). */
const LOG = [
  // A 4-digit pid is padded to the width of 5.
  '6804  write(11</s/state/.pulumi/locks/o/p/dev/c6.json.18eef83c1f6f7899.tmp>, "{\\"pid\\":6731,\\"username\\":\\"root\\",\\"h"..., 91) = 91',
  '6737  write(10</s/state/.pulumi/stacks/p/dev.json.bak.18eef83e8fb9770a.tmp>, "{\\"version\\":3,\\"checkpoint\\":{\\"stac"..., 32768) = 32768',
  '6737  write(10</s/state/.pulumi/stacks/p/dev.json.bak.18eef83e8fb9770a.tmp>, "q+jy8dMP/VejVNn1iLVdHD1x2WIZY8im"..., 32768) = 32768',
  // Outside the backend: the CLI's log and an eventfd.
  '6737  write(5</s/home/logs/pulumi-20261207T122357-6731-refresh.log>, "\\37\\213\\10\\0", 10) = 10',
  '6733  write(7<anon_inode:[eventfd]>, "\\1\\0\\0\\0\\0\\0\\0\\0", 8) = 8',
  // A call another thread interrupted, resumed on the same pid.
  '12345 write(9</s/state/.pulumi/stacks/p/dev.json.18eef7261fd4afcf.tmp>, "{\\"version\\":3"..., 365 <unfinished ...>',
  '12346 write(9</s/state/.pulumi/stacks/p/dev.json.attrs>, "{}", 2) = 2',
  "12345 <... write resumed>) = 365",
  // A failed write counts nothing.
  '12347 write(9</s/state/.pulumi/stacks/p/x.tmp>, "a", 1) = -1 ENOSPC (No space left on device)',
].join("\n");

describe("bench: bytes the CLI writes to a file backend (strace log)", () => {
  it("sums the writes into files under the backend's folder, whatever the pid's width, resumed calls included", () => {
    assert.deepEqual(writesUnder(LOG, "/s/state/"), { bytes: 91 + 32768 * 2 + 365 + 2, writes: 4 });
  });

  it("counts nothing outside the folder", () => {
    assert.deepEqual(writesUnder(LOG, "/elsewhere/"), { bytes: 0, writes: 0 });
    assert.deepEqual(writesUnder(LOG, "/s/home/"), { bytes: 10, writes: 1 });
  });
});
