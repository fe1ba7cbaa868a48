import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectToCore } from './api/connect';
import { App } from './app/App';
import { StateMessage } from './components/StateMessage';
import './app/styles.css';

const mount = document.getElementById('root');
if (!mount) throw new Error('index.html has no #root');
const root = createRoot(mount);
const client = connectToCore();
root.render(
  <StrictMode>
    {'error' in client ? (
      <StateMessage kind="error" title="Not connected to pktpath">
        {client.error}
      </StateMessage>
    ) : (
      <App client={client} />
    )}
  </StrictMode>,
);
