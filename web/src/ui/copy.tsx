import { useState } from 'react';

/** Copies `text` to the clipboard and says so; where the browser refuses, says to select and copy by hand. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <span className="row">
      <button type="button" className="btn btn-small" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" className="small muted">
        {state === 'copied' ? 'Copied to the clipboard.' : state === 'failed' ? 'Copying is blocked here: select the text and copy it.' : ''}
      </span>
    </span>
  );
}

/** Offers `text` as a file to save, made in the browser (nothing is sent anywhere). */
export function DownloadButton({ text, filename, label = 'Download' }: { text: string; filename: string; label?: string }) {
  function download() {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  return (
    <button type="button" className="btn btn-small" onClick={download}>
      {label}
    </button>
  );
}
