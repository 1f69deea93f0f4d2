import { Suspense } from 'react';
import { Dashboard } from './components/Dashboard';

export default function Page() {
  // The view lives in the URL (useSearchParams), read on the client.
  return (
    <Suspense>
      <Dashboard />
    </Suspense>
  );
}
