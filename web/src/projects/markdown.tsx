import ReactMarkdown, { type Components } from 'react-markdown';

// Spec items are written by people and agents: their Markdown is shown without raw HTML (skipped, never
// parsed), with react-markdown's URL filter (no javascript: links), links that open no door back
// (noopener, no referrer), and images shown as links, so a description cannot make the browser fetch
// from another site (the CSP would refuse it anyway; this keeps the page free of such errors).
const components: Components = {
  a: ({ href, children }) => (
    <a href={href} rel="noopener noreferrer nofollow" target={href?.startsWith('#') ? undefined : '_blank'}>
      {children}
    </a>
  ),
  img: ({ src, alt }) => (
    <a href={typeof src === 'string' ? src : undefined} rel="noopener noreferrer nofollow" target="_blank">
      [image: {alt || 'untitled'}]
    </a>
  ),
};

export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
