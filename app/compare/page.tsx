import { Suspense } from 'react';
import { CompareView } from '../components/CompareView';

/** /compare?a=<report>&b=<report>: what changed between two shared reports. */
export default function ComparePage() {
  return (
    <Suspense>
      <CompareView />
    </Suspense>
  );
}
