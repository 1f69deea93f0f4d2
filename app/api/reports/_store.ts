import { ReportStore } from '@/lib/report/store';
import { doctor } from '../_lib/server';

/** Reports are stored in the app's own namespace so a permalink needs only the id. */
export function reportStore(): ReportStore {
  const d = doctor();
  const ns = process.env.FD_REPORT_NAMESPACE ?? d.access.namespace ?? d.config.namespace;
  return new ReportStore(d.access.app(), ns, Number(process.env.FD_REPORT_RETENTION ?? 20));
}
