// TPM2_ActivateCredential of a DPS activation blob's credential on the running software TPM, with
// the handles and policy session Microsoft's TPM client uses (EK 0x81010001, SRK 0x81000001,
// PolicySecret(endorsement)), answering the TPM's response code: the SDK itself throws a TypeError
// (outside any callback) when the TPM refuses, so a test cannot observe the refusal through it.
import { randomBytes } from "node:crypto";
import * as tss from "tss.js";

const EK_HANDLE = new tss.TPM_HANDLE(0x81010001);
const SRK_HANDLE = new tss.TPM_HANDLE(0x81000001);

function step<T>(fn: (cb: (err: tss.TpmError, res?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res as T))));
}

/**
 * Activates the credential at the start of `blob` (TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET) on the
 * chip at 127.0.0.1:2323, whose EK and SRK the SDK has made persistent. Resolves to the response code
 * name: `SUCCESS` when this chip's endorsement key can decrypt it.
 */
export async function activateOnChip(blob: Buffer): Promise<string> {
  const tpm = new tss.Tpm(false);
  await new Promise<void>((resolve) => tpm.connect(() => resolve()));
  try {
    const buf = new tss.TpmBuffer(blob);
    const credential = buf.createSizedObj(tss.TPMS_ID_OBJECT);
    const secret = buf.createObj(tss.TPM2B_ENCRYPTED_SECRET);
    const started = await step<tss.StartAuthSessionResponse>((cb) =>
      tpm.StartAuthSession(
        null as unknown as tss.TPM_HANDLE,
        null as unknown as tss.TPM_HANDLE,
        randomBytes(20),
        null as unknown as Buffer,
        tss.TPM_SE.POLICY,
        tss.NullSymDef,
        tss.TPM_ALG_ID.SHA256,
        cb,
      ),
    );
    const policy = new tss.Session(started.handle, started.nonceTPM);
    await step((cb) =>
      tpm.PolicySecret(
        tss.Endorsement,
        policy.SessIn.sessionHandle,
        null as unknown as Buffer,
        null as unknown as Buffer,
        null as unknown as Buffer,
        0,
        cb,
      ),
    );
    const rc = await new Promise<number>((resolve) =>
      tpm
        .allowErrors()
        .withSessions(tss.NullPwSession, policy)
        .ActivateCredential(SRK_HANDLE, EK_HANDLE, credential, secret.secret, (err) =>
          resolve(err ? err.responseCode : tss.TPM_RC.SUCCESS),
        ),
    );
    await new Promise<void>((resolve) =>
      tpm.allowErrors().FlushContext(policy.SessIn.sessionHandle, () => resolve()),
    );
    return tss.TPM_RC[rc] ?? `0x${rc.toString(16)}`;
  } finally {
    tpm.close();
  }
}
